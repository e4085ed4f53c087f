"""A newcomer's path through `vbrief serve`, in a real browser (Debian's Chromium driven by
Playwright, offline): sign in with the printed link on a fresh folder; the overview asks for
the set-up; fill in the city and the office; upload the sample exports together with a
population ledger whose columns vbrief does not know; map its columns in the page and import
the same file again; change a target and add an alias in the settings; see the overview and a
new briefing follow them; compare the district's communities sorted by per-capita hours,
follow a community's link and download the table. Fails on any console error, and on any
request to anything but the server. Screenshots of each page at 1280 and 390 px go to SHOTS
when given.

usage: serve_flow.py LOGIN_URL SAMPLE_DIR EXTRA_LEDGER PDF_TO XLSX_TO PERIOD DISTRICT [SHOTS]
"""
import os
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

login, samples, extra, pdf_to, xlsx_to, period, district = sys.argv[1:8]
shots = sys.argv[8] if len(sys.argv) > 8 else None
origin = "{0.scheme}://{0.netloc}".format(urlparse(login))
problems = []


def shoot(page, name):
    if not shots:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(shots, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def wait_job(page):
    page.wait_for_selector("#job[data-finished='true']", timeout=240_000)
    # A failed job is finished too: say how it ended.
    return page.get_attribute("#job", "data-status")


def reload_until(page, text, tries=60):
    for _ in range(tries):
        if text in page.inner_text("main"):
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"never showed {text!r}: " + page.inner_text("main"))


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def guard(route):
        if not route.request.url.startswith(origin):
            problems.append("request outside the server: " + route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    # A form sent back with what to fix answers 422, which the browser logs as a failed load:
    # that alone is expected; any other failed response is a problem.
    def console(m):
        if m.type == "error" and not ("Failed to load resource" in m.text and " 422 " in m.text):
            problems.append("console: " + m.text)

    def response(r):
        if r.status >= 400 and not (r.status == 422 and r.request.resource_type == "document"):
            problems.append(f"response {r.status}: {r.request.method} {urlparse(r.url).path}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: problems.append("page error: " + str(e)))

    # A fresh folder: the overview asks for the set-up first.
    page.goto(login)
    assert page.url.rstrip("/") == origin, page.url
    page.get_by_text("请先完成设置").wait_for()
    page.get_by_text("从这里开始").wait_for()
    shoot(page, "overview-empty")
    page.click("text=打开设置向导")
    page.get_by_role("heading", name="设置向导").wait_for()
    shoot(page, "setup")
    # Keeping the sample's name is refused beside the field.
    page.fill("input[name=city_name]", "示例市")
    page.fill("input[name=city_office]", "青山市文明办")
    page.click("button:has-text('保存设置')")
    page.get_by_text("请填写本地的城市名称").wait_for()
    shoot(page, "setup-error")
    page.fill("input[name=city_name]", "青山市")
    page.click("button:has-text('保存设置')")
    page.get_by_role("heading", name="首页").wait_for()
    assert "请先完成设置" not in page.inner_text("main"), page.inner_text("main")

    # Upload the samples and a ledger with the office's own headers.
    page.click("nav >> text=导入")
    files = sorted(
        os.path.join(samples, f)
        for f in os.listdir(samples)
        if f.endswith((".xlsx", ".xls", ".csv"))
    ) + [extra]
    page.set_input_files("#files", files)
    shoot(page, "upload")
    page.click("button:has-text('上传并导入')")
    assert wait_job(page) == "partial", page.inner_text("main")
    page.get_by_text("每个文件的结果").wait_for()
    # Only the ledger in the office's own words is left out.
    kept = page.locator("#not-imported li").all_inner_texts()
    assert len(kept) == 1 and "人口台账_本地格式.csv" in kept[0], kept
    shoot(page, "job-partial")

    # Map its columns in the page: the suggestions are chosen already.
    page.click("text=对应列并重新导入")
    page.get_by_role("heading", name="对应列").wait_for()
    shoot(page, "mapping")
    community = page.locator("tr", has_text="居委会名称").locator("select")
    population = page.locator("tr", has_text="人口总数").locator("select")
    assert community.input_value() == "community", community.input_value()
    assert population.input_value() == "population", population.input_value()
    page.click("button:has-text('保存映射并重新导入')")
    assert wait_job(page) == "done", page.inner_text("main")
    # Its two communities accepted (结果 and 接受: the 4th and 6th cells).
    line = page.locator("#lines tr", has_text="人口台账_本地格式.csv").locator("td").all_inner_texts()
    assert (line[3], line[5]) == ("已导入", "2"), line
    shoot(page, "job-mapped")

    page.click("nav >> text=数据质量")
    page.get_by_text("各社区的问题行").wait_for()
    shoot(page, "quality")
    page.click("#communities tbody tr:first-child a")
    page.get_by_text("下载本社区清单").wait_for()
    shoot(page, "quality-community")

    # Settings: a target changed with its source, an alias added.
    page.click("nav >> text=设置")
    page.get_by_text("目标与出处").wait_for()
    page.fill("input[name=value_per_capita_hours]", "20")
    page.click("#targets button:has-text('保存目标')")
    page.get_by_text("请写明新目标的出处").wait_for()
    page.fill("textarea[name=source_per_capita_hours]", "青山市志愿服务工作要点（2026）")
    page.click("#targets button:has-text('保存目标')")
    page.get_by_text("已保存 2 项修改").wait_for()
    page.fill("#aliases input[name=written]", "老春园")
    page.fill("#aliases input[name=community]", "春园社区")
    page.click("#aliases button:has-text('添加')")
    page.get_by_text("已保存 1 项修改").wait_for()
    # The change log: each setting with its new value (设置项 and 新值: the 2nd and 4th cells).
    log = [r.locator("td").all_inner_texts() for r in page.locator("#log tbody tr").all()]
    assert any(c[1] == "targets.per_capita_hours.value" and c[3] == "20" for c in log), log
    assert any(c[1] == 'communities.aliases."老春园"' and c[3] == "春园社区" for c in log), log
    shoot(page, "settings")

    # The overview follows the new target.
    page.click("nav >> text=首页")
    reload_until(page, "目标 ≥ 20.00 小时")
    shoot(page, "overview")

    # A new briefing carries the city's name and the new target.
    page.click("nav >> text=报告")
    page.select_option("select[name=period]", period)
    page.select_option("select[name=district]", district)
    page.click("button:has-text('生成简报')")
    assert wait_job(page) == "done", page.inner_text("main")
    page.get_by_text("生成的文件").wait_for()
    frame = page.frame_locator("iframe.preview")
    # The city's name in the title (the office's name, typed at the set-up, holds it too).
    frame.locator("h1", has_text="青山市社区志愿服务评估简报").wait_for()
    frame.get_by_text("青山市志愿服务工作要点（2026）").first.wait_for()
    shoot(page, "job-briefing")
    with page.expect_download() as info:
        page.click("a[href$='briefing.pdf']")
    info.value.save_as(pdf_to)

    # The district's communities, sorted by per-capita hours (highest first).
    page.click("nav >> text=对比")
    page.select_option("#compare-form select[name=period]", period)
    page.select_option("#compare-form select[name=district]", district)
    page.click("#compare-form button:has-text('查看')")
    page.locator("#compare").wait_for()
    # Sorted by registration first, then by per-capita hours (highest first: a new column
    # sorts downwards; the same column again turns the order).
    page.click("#compare thead a:has-text('注册率')")
    page.locator("#compare thead a.here:has-text('注册率 ▼')").wait_for()
    page.click("#compare thead a:has-text('人均时长（小时）')")
    page.locator("#compare thead a.here:has-text('人均时长（小时） ▼')").wait_for()
    cells = page.locator("#compare tbody tr td:nth-child(6)").all_inner_texts()
    values = [float(c) for c in cells if c not in ("—", "")]
    assert values == sorted(values, reverse=True) and len(values) > 3, cells
    shoot(page, "compare")
    first = page.locator("#compare tbody tr:first-child td.name a").inner_text()
    # The chart draws the communities in the table's order, each under its own name.
    labels = page.locator(".chart-box text.chart-label").all_text_contents()
    assert labels[0] == first and len(set(labels)) > 3, labels[:5]
    with page.expect_download() as info:
        page.click("a:has-text('下载表格')")
    info.value.save_as(xlsx_to)
    page.click("#compare tbody tr:first-child td.name a")
    page.get_by_text("综合得分").first.wait_for()
    # The page is that community's: its path is the card's heading.
    heads = page.locator("section.card h2").all_inner_texts()
    assert any(h.endswith("/" + first) for h in heads), (first, heads)
    shoot(page, "community")
    with open(xlsx_to + ".first", "w", encoding="utf-8") as f:
        f.write(first)
    browser.close()

if problems:
    print("\n".join(problems))
    sys.exit(1)
print("ok")
