// Berth settings: API tokens (the secret shown once, at creation), SSH keys, the IDE preference and
// environment variables for workspaces (values are write-only: the API never returns them).

import {
  $, Invalid, api, confirmThen, element, fillTable, loadSection, onSubmit, rowButton, setupHeader, when,
} from "./common.js";

// --- tokens ----------------------------------------------------------------------------------------------------

async function loadTokens() {
  const { tokens } = await api("GET", "/api/tokens");
  // Sessions are tokens too (one per login), but they are not what this list is for.
  const shown = tokens.filter((token) => !token.revoked && token.name !== "session");
  const rows = shown.map((token) => element("tr", { "data-token": token.token_id },
    element("th", { scope: "row", text: token.name }),
    element("td", {}, element("time", { datetime: token.created_at, text: when(token.created_at) })),
    element("td", {}, element("time", { datetime: token.expires_at || "", text: when(token.expires_at) })),
    element("td", { class: "row-actions" }, rowButton("Revoke", `Revoke token ${token.name}`,
      () => revokeToken(token)))));
  fillTable($("tokens"), rows, 4, "No API tokens.");
}

function revokeToken(token) {
  return confirmThen($("confirm-revoke"), (dialog) => {
    dialog.querySelector(".subject").textContent = token.name;
  }, async () => {
    await api("DELETE", `/api/tokens/${encodeURIComponent(token.token_id)}`);
    // Its secret, still shown from its creation, is worth nothing now.
    if ($("new-token").dataset.token === token.token_id) $("new-token").hidden = true;
  }, { errorElement: $("token-error"), verb: "revoke", reload: loadTokens, focus: $("token-name") });
}

onSubmit($("token-form"), $("token-error"), async () => {
  const name = $("token-name").value.trim();
  if (!name) throw new Invalid("Give the token a name.", "name");
  const issued = await api("POST", "/api/tokens", { name });
  $("new-token-name").textContent = issued.name;
  $("new-token-value").value = issued.token;
  $("new-token").dataset.token = issued.token_id;
  $("copy-status").textContent = "";
  $("new-token").hidden = false;
  $("token-name").value = "";
  $("new-token-value").focus();
  $("new-token-value").select();
  await loadTokens();
});

$("copy-token").addEventListener("click", async () => {
  const value = $("new-token-value").value;
  try {
    await navigator.clipboard.writeText(value);
    $("copy-status").textContent = "Copied.";
  } catch {
    // No clipboard permission (an insecure origin): the text is selected for Ctrl+C instead.
    $("new-token-value").select();
    $("copy-status").textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
});

// --- SSH keys --------------------------------------------------------------------------------------------------

async function loadKeys() {
  const { ssh_keys: keys } = await api("GET", "/api/ssh-keys");
  const rows = keys.map((key) => element("tr", { "data-key": key.key_id },
    element("th", { scope: "row", text: key.name || "(unnamed)" }),
    element("td", { class: "mono", text: key.fingerprint }),
    element("td", {}, element("time", { datetime: key.created_at, text: when(key.created_at) })),
    element("td", { class: "row-actions" }, rowButton("Remove", `Remove SSH key ${key.name || key.fingerprint}`,
      () => removeKey(key)))));
  fillTable($("keys"), rows, 4, "No SSH keys.");
}

function removeKey(key) {
  return confirmThen($("confirm-remove"), (dialog) => {
    dialog.querySelector("h2").textContent = "Remove SSH key?";
    dialog.querySelector(".subject").textContent = key.name || key.fingerprint;
  }, () => api("DELETE", `/api/ssh-keys/${encodeURIComponent(key.key_id)}`),
  { errorElement: $("key-error"), verb: "remove", reload: loadKeys, focus: $("key-value") });
}

// A refusal that names no field is about the key: it is what the server parses.
onSubmit($("key-form"), $("key-error"), async () => {
  const publicKey = $("key-value").value.trim();
  if (!publicKey) throw new Invalid("Paste a public key (one line of a .pub file).", "public_key");
  const body = { public_key: publicKey };
  if ($("key-name").value.trim()) body.name = $("key-name").value.trim();
  await api("POST", "/api/ssh-keys", body);
  $("key-form").reset();
  await loadKeys();
}, "public_key");

// --- IDE preference --------------------------------------------------------------------------------------------

async function loadPreferences() {
  const preferences = await api("GET", "/api/me/preferences");
  $("ide-choice").value = preferences.ide || "";
}

$("ide-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  $("ide-error").textContent = "";
  $("ide-status").textContent = "";
  try {
    const saved = await api("PUT", "/api/me/preferences", { ide: $("ide-choice").value || null });
    $("ide-choice").value = saved.ide || "";
    $("ide-status").textContent = "Saved.";
  } catch (failure) {
    $("ide-error").textContent = failure.message;
  }
});

// --- environment variables -------------------------------------------------------------------------------------

function envQuery(variable) {
  return new URLSearchParams({ name: variable.name, repository_pattern: variable.repository_pattern }).toString();
}

async function loadEnvVars() {
  const loaded = await loadSection("/api/env-vars", $("env-message"), "Environment variables are not available");
  if (loaded === null) {
    $("env-vars").replaceChildren();
    return;
  }
  const rows = loaded.env_vars.map((variable) => element("tr", { "data-name": variable.name,
    "data-pattern": variable.repository_pattern },
  element("th", { scope: "row", class: "mono", text: variable.name }),
  element("td", { class: "mono", text: variable.repository_pattern }),
  element("td", {}, element("time", { datetime: variable.updated_at || "", text: when(variable.updated_at) })),
  element("td", { class: "row-actions" }, rowButton("Remove",
    `Remove ${variable.name} for ${variable.repository_pattern}`, () => removeEnvVar(variable)))));
  fillTable($("env-vars"), rows, 4, "No environment variables.");
}

function removeEnvVar(variable) {
  return confirmThen($("confirm-remove"), (dialog) => {
    dialog.querySelector("h2").textContent = "Remove environment variable?";
    dialog.querySelector(".subject").textContent = `${variable.name} (${variable.repository_pattern})`;
  }, () => api("DELETE", `/api/env-vars?${envQuery(variable)}`),
  { errorElement: $("env-error"), verb: "remove", reload: loadEnvVars, focus: $("env-name") });
}

onSubmit($("env-form"), $("env-error"), async () => {
  const body = { name: $("env-name").value.trim(), repository_pattern: $("env-pattern").value.trim(),
    value: $("env-value").value };
  const missing = ["name", "repository_pattern"].find((field) => !body[field]);
  if (missing) throw new Invalid(`Enter the ${missing.replace("_", " ")}.`, missing);
  await api("PUT", "/api/env-vars", body);
  $("env-name").value = "";
  $("env-value").value = "";
  await loadEnvVars();
  $("env-name").focus();
});

async function main() {
  setupHeader();
  const loads = [loadTokens(), loadKeys(), loadPreferences(), loadEnvVars()];
  for (const outcome of await Promise.allSettled(loads)) {
    if (outcome.status === "rejected" && outcome.reason?.status !== 401) {
      $("token-error").textContent ||= `Could not load your settings: ${outcome.reason.message}`;
    }
  }
}

main();
