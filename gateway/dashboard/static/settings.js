// Berth settings: API tokens (the secret shown once, at creation), SSH keys, the IDE preference and
// environment variables for workspaces (values are write-only: the API never returns them).

import { $, api, clearFormError, confirmDialog, element, setupHeader, showFormError, when } from "./common.js";

function actionButton(text, label, onClick) {
  const button = element("button", { type: "button", class: "danger", "aria-label": label, text });
  button.addEventListener("click", onClick);
  return button;
}

function emptyRow(columns, text) {
  return element("tr", {}, element("td", { colspan: String(columns), class: "muted", text }));
}

// --- tokens ----------------------------------------------------------------------------------------------------

async function loadTokens() {
  const { tokens } = await api("GET", "/api/tokens");
  // Sessions are tokens too (one per login), but they are not what this list is for.
  const shown = tokens.filter((token) => !token.revoked && token.name !== "session");
  const rows = shown.map((token) => element("tr", { "data-token": token.token_id },
    element("th", { scope: "row", text: token.name }),
    element("td", {}, element("time", { datetime: token.created_at, text: when(token.created_at) })),
    element("td", {}, element("time", { datetime: token.expires_at || "", text: when(token.expires_at) })),
    element("td", { class: "row-actions" }, actionButton("Revoke", `Revoke token ${token.name}`,
      () => revokeToken(token)))));
  $("tokens").replaceChildren(...(rows.length ? rows : [emptyRow(4, "No API tokens.")]));
}

async function revokeToken(token) {
  const confirmed = await confirmDialog($("confirm-revoke"), (dialog) => {
    dialog.querySelector(".subject").textContent = token.name;
  });
  if (!confirmed) return;
  try {
    await api("DELETE", `/api/tokens/${encodeURIComponent(token.token_id)}`);
  } catch (failure) {
    $("token-error").textContent = `revoke failed: ${failure.message}`;
  }
  if ($("new-token").dataset.token === token.token_id) $("new-token").hidden = true;
  await loadTokens();
  $("token-name").focus();
}

$("token-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const form = $("token-form");
  clearFormError(form, $("token-error"));
  const name = $("token-name").value.trim();
  if (!name) {
    showFormError(form, $("token-error"), { message: "Give the token a name.", field: "name" });
    return;
  }
  try {
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
  } catch (failure) {
    showFormError(form, $("token-error"), failure);
  }
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
    element("td", { class: "row-actions" }, actionButton("Remove", `Remove SSH key ${key.name || key.fingerprint}`,
      () => removeKey(key)))));
  $("keys").replaceChildren(...(rows.length ? rows : [emptyRow(4, "No SSH keys.")]));
}

async function removeKey(key) {
  const confirmed = await confirmDialog($("confirm-remove"), (dialog) => {
    dialog.querySelector("h2").textContent = "Remove SSH key?";
    dialog.querySelector(".subject").textContent = key.name || key.fingerprint;
  });
  if (!confirmed) return;
  try {
    await api("DELETE", `/api/ssh-keys/${encodeURIComponent(key.key_id)}`);
  } catch (failure) {
    $("key-error").textContent = `remove failed: ${failure.message}`;
  }
  await loadKeys();
  $("key-value").focus();
}

$("key-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const form = $("key-form");
  clearFormError(form, $("key-error"));
  const publicKey = $("key-value").value.trim();
  if (!publicKey) {
    showFormError(form, $("key-error"), { message: "Paste a public key (one line of a .pub file).", field: "public_key" });
    return;
  }
  const body = { public_key: publicKey };
  if ($("key-name").value.trim()) body.name = $("key-name").value.trim();
  try {
    await api("POST", "/api/ssh-keys", body);
    form.reset();
    await loadKeys();
  } catch (failure) {
    showFormError(form, $("key-error"), failure.field ? failure : { ...failure, message: failure.message, field: "public_key" });
  }
});

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
  let variables;
  try {
    ({ env_vars: variables } = await api("GET", "/api/env-vars"));
  } catch (failure) {
    if (failure.status === 401) return;
    $("env-message").textContent = `Environment variables are not available: ${failure.message}`;
    $("env-vars").replaceChildren();
    return;
  }
  $("env-message").textContent = "";
  const rows = variables.map((variable) => element("tr", { "data-name": variable.name,
    "data-pattern": variable.repository_pattern },
  element("th", { scope: "row", class: "mono", text: variable.name }),
  element("td", { class: "mono", text: variable.repository_pattern }),
  element("td", {}, element("time", { datetime: variable.updated_at || "", text: when(variable.updated_at) })),
  element("td", { class: "row-actions" }, actionButton("Remove",
    `Remove ${variable.name} for ${variable.repository_pattern}`, () => removeEnvVar(variable)))));
  $("env-vars").replaceChildren(...(rows.length ? rows : [emptyRow(4, "No environment variables.")]));
}

async function removeEnvVar(variable) {
  const confirmed = await confirmDialog($("confirm-remove"), (dialog) => {
    dialog.querySelector("h2").textContent = "Remove environment variable?";
    dialog.querySelector(".subject").textContent = `${variable.name} (${variable.repository_pattern})`;
  });
  if (!confirmed) return;
  try {
    await api("DELETE", `/api/env-vars?${envQuery(variable)}`);
  } catch (failure) {
    $("env-error").textContent = `remove failed: ${failure.message}`;
  }
  await loadEnvVars();
  $("env-name").focus();
}

$("env-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const form = $("env-form");
  clearFormError(form, $("env-error"));
  const body = { name: $("env-name").value.trim(), repository_pattern: $("env-pattern").value.trim(),
    value: $("env-value").value };
  const missing = ["name", "repository_pattern"].find((field) => !body[field]);
  if (missing) {
    showFormError(form, $("env-error"), { message: `Enter the ${missing.replace("_", " ")}.`, field: missing });
    return;
  }
  try {
    await api("PUT", "/api/env-vars", body);
    $("env-name").value = "";
    $("env-value").value = "";
    await loadEnvVars();
    $("env-name").focus();
  } catch (failure) {
    showFormError(form, $("env-error"), failure);
  }
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
