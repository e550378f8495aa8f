// anzen — passkeys (WebAuthn) as a second factor. Loaded only by the account page
// (register) and the second-factor page (sign in). The server sends the ceremony options
// as JSON with binary fields in base64url; they become ArrayBuffers for
// navigator.credentials, and the answer goes back the same way. Every call carries the
// session's CSRF token in X-CSRF-Token.
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf") || "";

  function toBuffer(b64url) {
    var b64 = String(b64url).replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toBase64url(buf) {
    if (!buf) { return null; }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // POSTs JSON; resolves with the parsed answer, rejects with the server's message.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var msg = (j && j.error && j.error.message) || ("エラー (" + r.status + ")");
          throw new Error(msg);
        }
        return j;
      });
    });
  }

  function extensions(cred) {
    try { return cred.getClientExtensionResults() || {}; } catch (e) { return {}; }
  }

  function supported() {
    return window.isSecureContext && window.PublicKeyCredential && navigator.credentials;
  }

  function show(el, text) {
    if (!el) { return; }
    el.textContent = text;
    el.hidden = false;
  }

  function browserError(e) {
    if (e && e.name === "NotAllowedError") {
      return "パスキーの操作が取り消されたか、時間切れになりました。";
    }
    if (e && e.name === "InvalidStateError") {
      return "この認証器のパスキーは既に登録されています。";
    }
    return (e && e.message) || "パスキーの操作に失敗しました。";
  }

  var NOT_SUPPORTED = "このブラウザまたは接続先（HTTPS または http://localhost が必要）ではパスキーを使えません。";

  // Account page: register a passkey under the given name.
  var form = document.getElementById("passkey-register-form");
  if (form) {
    var status = document.getElementById("passkey-status");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!supported()) { show(status, NOT_SUPPORTED); return; }
      var name = document.getElementById("passkey-name").value;
      var button = document.getElementById("passkey-register");
      button.disabled = true;
      show(status, "認証器の操作を待っています…");
      post("/account/passkeys/register/start", { name: name }).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = toBuffer(pk.challenge);
        pk.user.id = toBuffer(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (cred) {
        return post("/account/passkeys/register/finish", {
          id: cred.id,
          rawId: toBase64url(cred.rawId),
          type: cred.type,
          response: {
            attestationObject: toBase64url(cred.response.attestationObject),
            clientDataJSON: toBase64url(cred.response.clientDataJSON)
          },
          extensions: extensions(cred)
        });
      }).then(function () {
        window.location.assign("/account");
      }).catch(function (e) {
        show(status, browserError(e));
        button.disabled = false;
      });
    });
  }

  // Second-factor page: sign in with a passkey instead of a code.
  var signin = document.getElementById("passkey-signin");
  if (signin) {
    var error = document.getElementById("passkey-error");
    signin.addEventListener("click", function () {
      if (!supported()) { show(error, NOT_SUPPORTED); return; }
      signin.disabled = true;
      post("/mfa/passkey/start", {}).then(function (opts) {
        var pk = opts.publicKey;
        pk.challenge = toBuffer(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (cred) {
        return post("/mfa/passkey/finish", {
          id: cred.id,
          rawId: toBase64url(cred.rawId),
          type: cred.type,
          response: {
            authenticatorData: toBase64url(cred.response.authenticatorData),
            clientDataJSON: toBase64url(cred.response.clientDataJSON),
            signature: toBase64url(cred.response.signature),
            userHandle: toBase64url(cred.response.userHandle)
          },
          extensions: extensions(cred)
        });
      }).then(function (j) {
        window.location.assign((j && j.redirect) || "/");
      }).catch(function (e) {
        show(error, browserError(e));
        signin.disabled = false;
      });
    });
  }
})();
