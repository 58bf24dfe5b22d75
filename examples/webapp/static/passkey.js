// The passkey buttons: the only script of the app, a file because the
// Content-Security-Policy allows no inline script. A button
// data-passkey="PURPOSE" runs one WebAuthn ceremony: it asks the server to
// begin it (POST /passkey/PURPOSE/begin), hands the options to
// navigator.credentials.create (purpose "register") or .get (the others),
// sends the browser's answer back (POST /passkey/PURPOSE/finish) and goes
// where the server says. Binary fields travel as base64url, as the server
// writes and reads them, converted here by hand so that browsers without
// PublicKeyCredential.parseCreationOptionsFromJSON work too.
"use strict";

(function () {
  function fromBase64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buf) {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // creationOptions and requestOptions turn the server's JSON options
  // into what navigator.credentials expects: ArrayBuffers for the binary
  // fields.
  function creationOptions(o) {
    o.challenge = fromBase64url(o.challenge);
    o.user.id = fromBase64url(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = fromBase64url(c.id); });
    return o;
  }

  function requestOptions(o) {
    o.challenge = fromBase64url(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = fromBase64url(c.id); });
    return o;
  }

  // credentialJSON is the browser's answer as the server reads it
  // (WebAuthn's RegistrationResponseJSON or AuthenticationResponseJSON).
  function credentialJSON(cred) {
    const r = cred.response;
    const out = {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      out.response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return out;
  }

  // post sends body as JSON and returns the answer's JSON; an answer
  // with a "redirect" is followed at once, even a refusal (the sudo
  // prompt, the login page).
  async function post(path, body) {
    const resp = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* not JSON: a plain error page */ }
    if (data.redirect) {
      window.location.assign(data.redirect);
      return null;
    }
    if (!resp.ok) throw new Error(data.error || "Something went wrong. Please try again.");
    return data;
  }

  function showError(msg) {
    const el = document.getElementById("passkey-error");
    if (!el) return;
    el.textContent = msg;
    el.hidden = false;
  }

  async function run(button) {
    const purpose = button.dataset.passkey;
    const next = button.dataset.next || "";
    const nameField = document.getElementById("passkey-name");
    const name = nameField ? nameField.value.trim() : "";
    if (purpose === "register" && name === "") {
      showError("Please give the passkey a name, such as “Work laptop”.");
      return;
    }
    if (!window.PublicKeyCredential) {
      showError("This browser does not support passkeys.");
      return;
    }
    const begun = await post("/passkey/" + purpose + "/begin", { next: next });
    if (!begun) return;
    let cred;
    try {
      if (purpose === "register") {
        cred = await navigator.credentials.create({ publicKey: creationOptions(begun.options.publicKey) });
      } else {
        cred = await navigator.credentials.get({ publicKey: requestOptions(begun.options.publicKey) });
      }
    } catch (e) {
      // NotAllowedError: cancelled, timed out, or no passkey here.
      // SecurityError: the page is not on the site's domain (an app
      // opened at 127.0.0.1 whose passkeys are for localhost).
      const name = e && e.name;
      showError(name === "InvalidStateError" ? "This device already holds one of your passkeys."
        : name === "SecurityError" ? "Passkeys do not work at this address: open the site by its name (in development, http://localhost with the same port)."
        : "No passkey was used. Please try again.");
      return;
    }
    await post("/passkey/" + purpose + "/finish", {
      token: begun.token, response: credentialJSON(cred), name: name, next: next,
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-passkey]").forEach(function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        const el = document.getElementById("passkey-error");
        if (el) el.hidden = true;
        run(button).catch(function (e) { showError(e.message); }).finally(function () { button.disabled = false; });
      });
    });
  });
})();
