// Background jobs on pages: a form marked <form data-gm-job="/api/v1/...">, when submitted,
// posts its fields as JSON (the route answers 202 with a job), then follows the job at
// /api/v1/jobs/{id}: a progress bar, the job's state, and a Cancel button that asks
// /api/v1/jobs/{id}/cancel. When the job succeeds the page reloads (data-gm-job-reload) or
// shows the outcome. Texts come from the form's data-gm-job-texts (JSON, the page's language).
// Written for gridmgmt; no library. Server text goes into the page as text, never HTML.
(function () {
  "use strict";
  var HEADERS = {"Content-Type": "application/json", "Accept": "application/json"};
  var ENDED = {succeeded: true, failed: true, cancelled: true};

  function call(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin", headers: HEADERS,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.detail || response.statusText); }
        return data;
      });
    });
  }
  function fields(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.disabled) { return; }
      if (input.type === "checkbox") { body[input.name] = input.checked; return; }
      if (input.value === "") { return; }
      body[input.name] = input.type === "number" ? Number(input.value) : input.value;
    });
    return body;
  }

  function attach(form) {
    var texts = JSON.parse(form.getAttribute("data-gm-job-texts") || "{}");
    var box = form.querySelector(".gm-job-box");
    var bar = box.querySelector("progress");
    var status = box.querySelector(".gm-job-status");
    var cancel = box.querySelector(".gm-job-cancel");
    var start = form.querySelector("[type=submit]");
    var job = null;
    var timer = null;

    function show(text, bad) {
      status.textContent = text;
      status.classList.toggle("gm-job-bad", !!bad);
    }
    function running(on) {
      box.hidden = false;
      start.disabled = on;
      cancel.hidden = !on;
      bar.hidden = !on;
    }
    function ended(view) {
      window.clearTimeout(timer);
      job = null;
      running(false);
      if (view.state === "succeeded") {
        show(texts.succeeded || view.state);
        document.body.dataset.gmJob = "succeeded";
        if (form.hasAttribute("data-gm-job-reload")) { window.location.reload(); }
      } else if (view.state === "cancelled") {
        show(texts.cancelled || view.state, true);
        document.body.dataset.gmJob = "cancelled";
      } else {
        show(texts.failed + ": " + (view.error ? view.error.message : ""), true);
        document.body.dataset.gmJob = "failed";
      }
    }
    function follow() {
      call("GET", "/api/v1/jobs/" + encodeURIComponent(job.id)).then(function (view) {
        bar.value = view.progress;
        if (ENDED[view.state]) { ended(view); return; }
        show(view.state === "queued" ? texts.queued :
          texts.running + " · " + Math.round(view.progress * 100) + "%");
        timer = window.setTimeout(follow, 700);
      }).catch(function (error) { ended({state: "failed", error: {message: error.message}}); });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (job) { return; }
      running(true);
      bar.value = 0;
      show(texts.queued);
      document.body.dataset.gmJob = "running";
      call("POST", form.getAttribute("data-gm-job"), fields(form)).then(function (view) {
        job = view;
        follow();
      }).catch(function (error) { ended({state: "failed", error: {message: error.message}}); });
    });
    cancel.addEventListener("click", function () {
      if (!job) { return; }
      call("POST", "/api/v1/jobs/" + encodeURIComponent(job.id) + "/cancel").catch(function () {});
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-gm-job]"), attach);
})();
