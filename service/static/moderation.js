// Moderation queue enhancements: act in place without a reload, keyboard shortcuts (after a
// decision the focus moves on to the next undecided comment, as in WordPress), and "select
// all". Without this script every button still works as a plain form post.
(() => {
  "use strict";
  const form = document.getElementById("queue-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const flashes = document.getElementById("flashes");
  const rows = () => Array.from(form.querySelectorAll("li.comment"));
  let current = -1;
  let lastBatch = null; // the last decision's batch, for the u key

  function showMessage(text, batch) {
    flashes.replaceChildren();
    const box = document.createElement("div");
    box.className = "flash flash-" + (batch ? "undo" : "info");
    box.setAttribute("role", "status");
    box.textContent = text + " ";
    if (batch) {
      const undo = document.createElement("button");
      undo.type = "button";
      undo.className = "link";
      undo.textContent = "Undo";
      undo.addEventListener("click", async () => {
        // In place, like the decision it undoes, so its own message stays on screen.
        await undoBatch(batch);
      });
      box.append(undo);
    }
    flashes.append(box);
  }

  async function send(url, fields) {
    const body = new URLSearchParams(fields);
    body.set("csrf_token", csrf);
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
      });
    } catch {
      showMessage("The server could not be reached; nothing was changed.");
      return null;
    }
    if (response.redirected || !response.headers.get("Content-Type")?.includes("json")) {
      window.location.reload(); // signed out or an error page: let the server explain
      return null;
    }
    const result = await response.json();
    if (!response.ok) {
      // Refusals come in the API's shapes: {"error": {code, message}} or, for a form
      // the schema refused, {"errors": {field: [messages]}}.
      showMessage(result.error ? result.error.message : messagesOf(result.errors).join(" "));
      return null;
    }
    showMessage(result.message, result.batch);
    lastBatch = result.batch || lastBatch;
    return result;
  }

  function messagesOf(errors) {
    // A list field's messages are nested by position ({"ids": {"0": [...]}}); each is said once.
    const said = new Set();
    const collect = (value) => {
      if (typeof value === "string") said.add(value);
      else if (value) Object.values(value).forEach(collect);
    };
    collect(errors);
    return Array.from(said);
  }

  function applyResults(results, undone = false) {
    for (const outcome of results) {
      const row = document.getElementById("c" + outcome.id);
      if (!row || outcome.error) continue;
      row.setAttribute("data-status", outcome.status);
      row.className = row.className.replace(/status-\w+/, "status-" + outcome.status);
      row.querySelector(".badge").textContent = outcome.status;
      row.classList.toggle("decided", !undone);
      const seen = row.querySelector('input[name="seen-' + outcome.id + '"]');
      if (seen) seen.value = outcome.status;
      const box = row.querySelector('input[name="ids"]');
      if (box) box.checked = false;
    }
  }

  async function undoBatch(batch) {
    const result = await send(form.dataset.undoUrl, { batch });
    if (!result) return null;
    if (batch === lastBatch) lastBatch = null; // undone once: a second u has nothing to undo
    applyResults(result.results, true);
    return result;
  }

  async function act(button) {
    const fields = { note: form.elements.note ? form.elements.note.value : "" };
    // form.getAttribute, not form.action: the bulk buttons are named "action", and a form's
    // named controls shadow its properties (form.action would be those buttons).
    const url = button.getAttribute("formaction") || form.getAttribute("action");
    if (button.name === "action") {
      fields.action = button.value;
      const ids = Array.from(form.querySelectorAll('input[name="ids"]:checked')).map((b) => b.value);
      if (ids.length === 0) {
        showMessage("Select at least one comment, then choose an action.");
        return;
      }
      const body = new URLSearchParams(fields);
      for (const id of ids) {
        body.append("ids", id);
        body.set("seen-" + id, document.getElementById("c" + id).dataset.status);
      }
      const result = await send(url, body);
      if (result) applyResults(result.results);
      return;
    }
    const row = button.closest("li.comment");
    fields["seen-" + row.dataset.id] = row.dataset.status;
    const result = await send(url, fields);
    if (result) applyResults(result.results);
    return result;
  }

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (!button) return;
    event.preventDefault();
    act(button);
  });

  const selectAll = document.getElementById("select-all");
  if (selectAll) {
    selectAll.addEventListener("change", () => {
      for (const box of form.querySelectorAll('input[name="ids"]')) box.checked = selectAll.checked;
    });
  }

  function focusRow(index) {
    const all = rows();
    if (all.length === 0) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("focused", i === current));
    all[current].focus();
    all[current].scrollIntoView({ block: "nearest" });
  }

  // In the compact view a card opens on a click (or the focus) and stays open, as the
  // current one for the keys, until another is chosen: without this it would close as the
  // focus moves from the card to one of its own buttons, under the pointer.
  const list = form.querySelector("ol.comments");
  form.addEventListener("focusin", (event) => {
    if (!list || !list.classList.contains("compact")) return;
    const row = event.target.closest("li.comment");
    if (!row || event.target.name === "ids") return; // a selection box leaves rows in place
    current = rows().indexOf(row);
    rows().forEach((other) => other.classList.toggle("focused", other === row));
  });

  const dialog = document.getElementById("shortcuts");
  const helpToggle = document.querySelector(".help-toggle");
  if (helpToggle && dialog) helpToggle.addEventListener("click", () => dialog.showModal());

  function nextUndecided(from) {
    // The next card not yet decided on this page, else the nearest one before it.
    const all = rows();
    const open = (i) => !all[i].classList.contains("decided");
    for (let i = from + 1; i < all.length; i++) if (open(i)) return i;
    for (let i = from - 1; i >= 0; i--) if (open(i)) return i;
    return from;
  }

  async function decideFocused(action) {
    const decided = current;
    const button = rows()[decided].querySelector('button[data-action="' + action + '"]');
    if (!button) return;
    // Moved on only when the decision went through, and only if the moderator has not
    // moved on by hand in the meantime.
    if ((await act(button)) && current === decided) focusRow(nextUndecided(decided));
  }

  async function undoLast() {
    if (!lastBatch) {
      showMessage("Nothing to undo.");
      return;
    }
    const result = await undoBatch(lastBatch);
    const first = result && result.results.find((outcome) => !outcome.error);
    // Back to the comment that was put back, so it can be decided again.
    const index = first ? rows().findIndex((row) => row.dataset.id === String(first.id)) : -1;
    if (index >= 0) focusRow(index);
  }

  const shortcuts = { a: "approve", r: "reject", s: "spam", d: "delete" };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, dialog")) return;
    const key = event.key;
    if (key === "?") {
      if (dialog) dialog.showModal();
    } else if (key === "j") {
      focusRow(current + 1);
    } else if (key === "k") {
      focusRow(current - 1);
    } else if (key === "x" && current >= 0) {
      const box = rows()[current].querySelector('input[name="ids"]');
      if (box) box.checked = !box.checked;
    } else if (shortcuts[key] && current >= 0) {
      decideFocused(shortcuts[key]);
    } else if (key === "u") {
      undoLast();
    } else {
      return;
    }
    event.preventDefault();
  });
})();
