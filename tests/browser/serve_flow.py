"""A staff member's path through `vbrief serve`, in a real browser (Debian's Chromium driven
by Playwright, offline): sign in with the printed link, drop the sample exports, wait for the
summary, open the quality page and one community's rows, make the briefing for a year and a
district, preview it, download the PDF. Fails on any console error, and on any request to
anything but the server. Screenshots of each page at 1280 and 390 px go to SHOTS when given.

usage: serve_flow.py LOGIN_URL SAMPLE_DIR DOWNLOAD_TO PERIOD DISTRICT [SHOTS]
"""
import os
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

login, samples, download_to, period, district = sys.argv[1:6]
shots = sys.argv[6] if len(sys.argv) > 6 else None
origin = "{0.scheme}://{0.netloc}".format(urlparse(login))
problems = []


def shoot(page, name):
    if not shots:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(shots, f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


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
    page.on("console", lambda m: m.type == "error" and problems.append("console: " + m.text))
    page.on("pageerror", lambda e: problems.append("page error: " + str(e)))

    page.goto(login)
    assert page.url.rstrip("/") == origin, page.url
    page.get_by_text("从这里开始").wait_for()
    shoot(page, "overview-empty")

    page.click("text=导入")
    files = sorted(
        os.path.join(samples, f)
        for f in os.listdir(samples)
        if f.endswith((".xlsx", ".xls", ".csv"))
    )
    page.set_input_files("#files", files)
    shoot(page, "upload")
    page.click("button:has-text('上传并导入')")
    page.wait_for_selector("#job[data-finished='true']", timeout=180_000)
    page.get_by_text("每个文件的结果").wait_for()
    assert page.locator("#lines tr").count() >= len(files), page.content()
    shoot(page, "job-ingest")

    page.click("nav >> text=数据质量")
    page.get_by_text("各社区的问题行").wait_for()
    shoot(page, "quality")
    page.click("#communities tbody tr:first-child a")
    page.get_by_text("下载本社区清单").wait_for()
    body = page.inner_text("main")
    assert "问题行" in body, body
    shoot(page, "quality-community")

    page.click("nav >> text=报告")
    page.select_option("select[name=period]", period)
    page.select_option("select[name=district]", district)
    shoot(page, "briefing-form")
    page.click("button:has-text('生成简报')")
    page.wait_for_selector("#job[data-finished='true']", timeout=180_000)
    page.get_by_text("生成的文件").wait_for()
    frame = page.frame_locator("iframe.preview")
    frame.get_by_text("志愿服务工作简报").first.wait_for()
    shoot(page, "job-briefing")
    with page.expect_download() as info:
        page.click("a[href$='briefing.pdf']")
    info.value.save_as(download_to)

    page.click("nav >> text=社区")
    page.fill("input[name=q]", "社区")
    page.click("button:has-text('查找')")
    page.get_by_text("注册率").first.wait_for()
    shoot(page, "community")
    page.click("nav >> text=设置")
    page.get_by_text("目标与来源").wait_for()
    shoot(page, "settings")
    page.click("nav >> text=首页")
    page.get_by_text("主要指标").wait_for()
    shoot(page, "overview")
    browser.close()

if problems:
    print("\n".join(problems))
    sys.exit(1)
print("ok")
