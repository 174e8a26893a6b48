/* microcred staff pages: a bulk job's live progress (progressive enhancement).
   The job page works without this script (it reloads itself every few seconds through a
   <noscript> refresh and has a refresh link). With it, the page asks the job's JSON endpoint
   every two seconds and updates the bar and the counts in place; when the job's state changes
   (finished, stopped) it reloads once so the page shows the final links. */
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box || !window.fetch) return;
  var url = box.dataset.url;
  var state = box.dataset.state;
  var bar = document.getElementById("job-bar");
  var fields = {
    issuedRows: document.getElementById("job-issued"),
    errorRows: document.getElementById("job-errors"),
    pendingRows: document.getElementById("job-pending"),
    totalRows: document.getElementById("job-total"),
    rowsPerSecond: document.getElementById("job-rate"),
    secondsLeft: document.getElementById("job-left")
  };
  var failures = 0;

  function show(job) {
    Object.keys(fields).forEach(function (key) {
      if (fields[key] && typeof job[key] === "number") fields[key].textContent = String(job[key]);
    });
    if (bar && typeof job.totalRows === "number") {
      bar.max = Math.max(job.totalRows, 1);
      bar.value = job.issuedRows + job.errorRows;
      bar.textContent = bar.value + " / " + job.totalRows;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (job) {
        failures = 0;
        show(job);
        if (job.state !== state) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        failures += 1;
        if (failures < 5) window.setTimeout(poll, 2000 * failures);
      });
  }

  window.setTimeout(poll, 1000);
})();
