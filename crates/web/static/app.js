// anzen — the page script: the idle screen lock (画面ロック), and upload progress.
// The idle screen lock: After `data-idle-seconds`
// without keyboard or mouse activity the page is replaced by the lock screen, which also
// locks the session on the server. Activity is reported at most once a minute so the
// server's idle clock follows real use.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var csrf = body.getAttribute("data-csrf") || "";
  if (!idle || !csrf) { return; }
  var last = Date.now();
  var lastPing = Date.now();
  function activity() {
    last = Date.now();
    if (last - lastPing > 60000) {
      lastPing = last;
      fetch("/session/ping", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
        .then(function (r) { if (r.status === 409 || r.status === 401) { lock(); } })
        .catch(function () {});
    }
  }
  function lock() {
    // Clear the screen first, then navigate: patient data never stays visible.
    document.getElementById("main").innerHTML = "";
    window.location.assign("/lock");
  }
  ["keydown", "mousedown", "mousemove", "touchstart", "wheel"].forEach(function (ev) {
    window.addEventListener(ev, activity, { passive: true });
  });
  setInterval(function () {
    if (Date.now() - last >= idle * 1000) { lock(); }
  }, 1000);
})();

// Upload progress: a form sending files (enctype multipart/form-data) is sent with
// XMLHttpRequest so a progress bar can show how much of a large file has been sent; the
// server's answer then replaces the page exactly as a normal submission would. Without
// JavaScript the forms work as they are.
(function () {
  "use strict";
  document.querySelectorAll("form[enctype='multipart/form-data']").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      ev.preventDefault();
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.className = "upload-progress";
      var label = document.createElement("span");
      label.className = "upload-progress-label";
      label.setAttribute("role", "status");
      label.textContent = "送信中… 0%";
      form.appendChild(bar);
      form.appendChild(label);
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var pct = Math.floor((e.loaded / e.total) * 100);
          bar.value = pct;
          label.textContent = pct < 100 ? "送信中… " + pct + "%" : "送信完了。ファイルを確認しています…";
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== form.action) {
          window.history.pushState(null, "", xhr.responseURL);
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        label.textContent = "送信できませんでした。通信を確認して、もう一度お試しください。";
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
      xhr.send(new FormData(form));
    });
  });
})();

// Attendee picker: filter the list as one types; select all visible / none.
(function () {
  document.querySelectorAll("[data-filter-for]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-for"));
    if (!list) return;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      list.querySelectorAll("li").forEach(function (li) {
        var text = (li.getAttribute("data-filter-text") || "").toLowerCase();
        li.hidden = q !== "" && text.indexOf(q) < 0;
      });
    });
  });
  document.querySelectorAll("[data-select-all], [data-select-none]").forEach(function (btn) {
    var all = btn.hasAttribute("data-select-all");
    var list = document.getElementById(btn.getAttribute(all ? "data-select-all" : "data-select-none"));
    if (!list) return;
    btn.addEventListener("click", function () {
      list.querySelectorAll("li").forEach(function (li) {
        if (all && li.hidden) return;
        var box = li.querySelector("input[type=checkbox]");
        if (box) box.checked = all;
      });
    });
  });
})();
