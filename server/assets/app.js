// vbrief serve: drag-and-drop for the upload form, and live progress on a job's page.
// Everything works without this script; it only makes both nicer.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var drop = document.getElementById("drop");
  var input = document.getElementById("files");
  var chosen = document.getElementById("chosen");
  function list() {
    if (!chosen || !input) return;
    chosen.textContent = "";
    Array.prototype.forEach.call(input.files, function (f) {
      var li = document.createElement("li");
      li.textContent = f.name + "（" + Math.max(1, Math.round(f.size / 1024)) + " KB）";
      chosen.appendChild(li);
    });
  }
  if (drop && input) {
    input.addEventListener("change", list);
    ["dragenter", "dragover"].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; list(); }
    });
  }
  var job = document.getElementById("job");
  if (job && job.dataset.finished !== "true" && window.EventSource) {
    var source = new EventSource("/jobs/" + job.dataset.job + "/events");
    source.addEventListener("job", function (e) {
      var j = JSON.parse(e.data);
      document.getElementById("stage").textContent = j.stage;
      var bar = document.getElementById("percent");
      if (bar && j.percent !== null && j.percent !== undefined) bar.value = j.percent;
      if (j.status === "done" || j.status === "partial" || j.status === "failed") { source.close(); window.location.reload(); }
    });
  }
});
