// anzen — the only script: the idle screen lock (画面ロック). After `data-idle-seconds`
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
