// What every dashboard page shares: the API client, the element builder, the header (log out), and the rules
// for showing text that came from elsewhere (terminal output). Imported as "./common.js"; the server rewrites
// that specifier to this file's hashed URL (gateway/dashboard/assets.py), so a new release is never mixed with
// a cached old copy.

export const ACTIVE = new Set(["pending", "preparing", "scheduled", "creating", "initializing", "running",
  "stopping"]);

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.field = problem.field || null;
  }
}

export function toLogin() {
  // An ended session: log in again, then come back to this very page.
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

export async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) {
    toLogin();
    throw new ApiError(401, { detail: "your session has ended" });
  }
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { detail: `HTTP ${response.status}` }; // not JSON (a proxy's error page): say what is known
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// element("a", {href, text: "shown"}, child...): attributes are set as attributes, `text` as textContent, so
// nothing that came from the API is ever parsed as HTML.
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

export const $ = (id) => document.getElementById(id);

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  if (!iso) return "never";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateFormat.format(date);
}

export function size(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e5) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

// The supervisor's task phases (Gitpod's steps) as a person reads them: `command` is the task's main process.
const TASK_PHASES = { pending: "waiting", before: "running before", init: "running init", command: "running",
  done: "done", failed: "failed" };

export function taskPhase(phase) {
  return TASK_PHASES[phase] || phase;
}

// Terminal output as plain text: escape sequences (colours, cursor moves, titles) dropped, carriage-return
// redraws (progress bars) reduced to their last state, other control characters removed. The result is only
// ever set as textContent.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]/g;
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

export function plainText(raw) {
  return raw.replace(ESCAPES, "").replace(/\r+\n/g, "\n").split("\n")
    .map((line) => line.slice(line.lastIndexOf("\r") + 1))
    .join("\n").replace(CONTROLS, "");
}

// A modal confirmation: resolves true when the user confirmed; focus goes back where it was either way.
export function confirmDialog(dialog, fill) {
  const opener = document.activeElement;
  fill?.(dialog);
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue === "confirm");
    }, { once: true });
  });
}

// The "Open IDE" link: a link only while there is somewhere to go. Otherwise it stays in place (no layout
// shift) but is announced as disabled and left out of the tab order.
export function setOpenLink(link, url) {
  if (url) {
    link.href = url;
    link.removeAttribute("aria-disabled");
    link.removeAttribute("tabindex");
  } else {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    link.setAttribute("tabindex", "-1");
  }
}

export function setupHeader() {
  $("logout")?.addEventListener("click", async () => {
    try {
      await api("POST", "/api/logout");
    } finally {
      location.assign("/login?next=/");
    }
  });
}

// A form's inline error: the message under the form, and the field the server named marked invalid.
export function showFormError(form, errorElement, failure) {
  errorElement.textContent = failure.message;
  const input = (failure.field && form.querySelector(`[name="${CSS.escape(failure.field)}"]`)) || null;
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

export function clearFormError(form, errorElement) {
  errorElement.textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
}

// What a form's own check finds wrong before anything is sent (see `onSubmit`): shown like the server's answer,
// on the field it names.
export class Invalid extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

// A form that talks to the API: each submit clears the form's inline error and runs `submit`, which throws
// Invalid for what it finds wrong itself; a failure is shown under the form, on the field it names, else on
// `field` (a server that said what is wrong but not where).
export function onSubmit(form, errorElement, submit, field = null) {
  form.addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    clearFormError(form, errorElement);
    try {
      await submit();
    } catch (failure) {
      showFormError(form, errorElement, failure.field || !field ? failure : { message: failure.message, field });
    }
  });
}

// A row's action, confirmed in `dialog` (`fill` names the subject) first. A failure is said in `errorElement`
// as "<verb> failed: …"; the list is loaded again either way (the item may be gone already), and the keyboard
// focus goes to `focus`, since the button pressed may have gone with its row.
export async function confirmThen(dialog, fill, action, { errorElement, verb, reload, focus }) {
  if (!(await confirmDialog(dialog, fill))) return;
  try {
    await action();
  } catch (failure) {
    errorElement.textContent = `${verb} failed: ${failure.message}`;
  }
  await reload();
  focus.focus();
}

// A row's (destructive) action button; `label` names what it acts on, for a screen reader.
export function rowButton(text, label, onClick) {
  const button = element("button", { type: "button", class: "danger", "aria-label": label, text });
  button.addEventListener("click", onClick);
  return button;
}

// A table's body: its rows, or one row across its `columns` saying there is nothing.
export function fillTable(body, rows, columns, emptyText) {
  body.replaceChildren(...(rows.length ? rows
    : [element("tr", {}, element("td", { colspan: String(columns), class: "muted", text: emptyText }))]));
}

// A section's data, GET from `path`; on a failure, `message` says "<failed>: …" and the answer is null (an
// ended session says nothing: the browser is on its way to the login page).
export async function loadSection(path, message, failed) {
  try {
    const data = await api("GET", path);
    message.textContent = "";
    return data;
  } catch (failure) {
    if (failure.status !== 401) message.textContent = `${failed}: ${failure.message}`;
    return null;
  }
}
