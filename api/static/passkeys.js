// Portal passkeys (api/portal/passkeys.py). A form marked data-passkey="add" or
// data-passkey="sign-in" is shown only where the browser has WebAuthn. On submit: ask the
// server for options (POST data-options, JSON), run navigator.credentials, put the answer
// in the form's hidden fields and submit it as an ordinary form — the server answers with
// a page (a redirect, or the same page with the refusal beside the button).
(function () {
  "use strict";

  function toBuffer(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    o.challenge = toBuffer(o.challenge);
    o.user.id = toBuffer(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBuffer(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return o;
  }

  function answerJSON(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return JSON.stringify({
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
    });
  }

  function say(form, text) {
    var box = form.querySelector("[data-passkey-message]");
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
  }

  function fetchOptions(form) {
    var body = new FormData();
    body.append("csrf_token", form.elements.csrf_token.value);
    if (form.elements.name) { body.append("name", form.elements.name.value); }  // checked first
    return fetch(form.getAttribute("data-options"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          throw new Error(data.message || "Passkeys are not available right now. Try again.");
        }
        return data;
      });
    });
  }

  function run(form, kind) {
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(form, "");
    fetchOptions(form).then(function (data) {
      form.elements.challenge_id.value = data.challenge_id;
      if (kind === "add") {
        return navigator.credentials.create({ publicKey: creationOptions(data.publicKey) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(data.publicKey) });
    }).then(function (cred) {
      if (!cred) { throw new Error("No passkey was used. Try again."); }
      form.elements.credential.value = answerJSON(cred);
      form.submit();
    }).catch(function (err) {
      button.disabled = false;
      if (err && (err.name === "NotAllowedError" || err.name === "AbortError")) {
        say(form, kind === "add"
          ? "No passkey was added. You can try again."
          : "No passkey was used. Try again, or get an emailed link above.");
      } else if (err && err.name === "InvalidStateError") {
        say(form, "This device already holds a passkey for this portal.");
      } else {
        say(form, (err && err.message) || "Something went wrong. Try again.");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) {
      el.hidden = supported;
    });
    if (!supported) { return; }
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      var kind = form.getAttribute("data-passkey");
      form.hidden = false;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        run(form, kind);
      });
    });
  });
}());
