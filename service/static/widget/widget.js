/* commentdesk widget: an article's comment thread and reply form, plus comment counts for
   listing pages. Plain JavaScript, no build step, no requests to anyone but the service that
   served this file. Embed:
     <div id="comments" data-article="blog/hello"></div>
     <script src="https://comments.example.com/widget.js" async></script>
   data-site="slug" (on the widget, or on a count) names the site; without it the service
   matches the page's origin to a site.
   Bodies arrive as the server's sanitized HTML; every other user field goes in as text. */
(() => {
  "use strict";
  performance.mark("commentdesk:start");
  // Only valid while this file first runs (async included): the API lives next to it.
  const script = document.currentScript || document.querySelector("script[src*='widget.js']");
  const BASE = new URL(".", script ? script.src : location.href);

  const EN = {
    comments_one: "{n} comment",
    comments_other: "{n} comments",
    noComments: "No comments yet. Be the first.",
    loading: "Loading comments…",
    loadFailed: "The comments could not be loaded. Please try again later.",
    loadMore: "Load more comments",
    reply: "Reply",
    replyingTo: "Replying to {name}",
    cancelReply: "Cancel reply",
    removed: "This comment was removed.",
    pinned: "Pinned",
    // Under a minute old, in English; other languages get the browser's word for "now"
    // unless their strings say otherwise. Older times come from Intl.RelativeTimeFormat.
    justNow: "just now",
    edited: "edited",
    moderatorEdited: "edited by a moderator",
    pendingBadge: "Awaiting moderation",
    onlyYou: "Only you can see this until a moderator approves it.",
    title: "Leave a reply",
    notice: "Your email address will not be published. Required fields are marked *",
    name: "Name",
    email: "Email",
    website: "Website",
    comment: "Comment",
    honeypot: "Leave this field empty",
    remember: "Save my name and email in this browser",
    mailLink: "Email me a link to manage my comments",
    submit: "Post comment",
    sending: "Sending…",
    pending: "Your comment is awaiting moderation.",
    published: "Your comment is published.",
    sendFailed: "Your comment could not be sent. Please check your connection and try again.",
    tooFast: "You are sending comments too quickly. Please try again in {wait}.",
    seconds: "{n} seconds",
    minutes: "{n} minutes",
    checkFields: "Please correct the marked fields.",
    nameRequired: "Please enter your name.",
    nameTooLong: "Please keep your name to 80 characters or fewer.",
    emailRequired: "Please enter your email address.",
    emailInvalid: "That email address is not valid: it needs an @-sign with text on both sides.",
    websiteInvalid: "Please enter a web address starting with http:// or https://.",
    bodyRequired: "Please write a comment.",
    bodyTooLong: "Please keep your comment to 10,000 characters or fewer (it has {n}).",
    controlCharacters: "This contains invisible control characters; please remove them.",
    edit: "Edit",
    editLabel: "Edit your comment",
    save: "Save",
    cancel: "Cancel",
    delete: "Delete",
    confirmDelete: "Delete this comment for good?",
    confirmDeleteYes: "Yes, delete",
    saved: "Your comment was updated.",
    editPending: "Your edit is awaiting moderation.",
    deleted: "Your comment was deleted.",
  };
  // The server's limits (service/http/schemas/common.py), checked here first to save a round trip.
  const NAME_MAX = 80, EMAIL_MAX = 254, BODY_MAX = 10000, WEBSITE_MAX = 2048;
  const CONTROL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
  const CONTROL_IN_LINE = /[\0-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
  const DEFAULT_EDIT_MINUTES = 15;
  const OWN_KEPT_DAYS = 30;

  // The widget's language: data-lang, else the page's <html lang>, else the browser's.
  const languageOf = (host) =>
    (host && host.dataset.lang) || document.documentElement.lang || navigator.language || "en";
  // A language tag the Intl formatters accept ("en" for a malformed one such as "de_DE").
  function dateLocale(lang) {
    try {
      return Intl.getCanonicalLocales(lang)[0] || "en";
    } catch {
      return "en";
    }
  }

  /* Strings: English, overridden by window.commentdeskStrings, either flat
     ({reply: "Antworten"}) or per language ({de: {...}}) picked by the widget's language.
     Dates need no strings: the browser's Intl formatters speak the language. */
  function stringsFor(lang) {
    const custom = window.commentdeskStrings || {};
    const flat = Object.fromEntries(Object.entries(custom).filter(([, v]) => typeof v === "string"));
    const table = custom[lang] || custom[lang.split("-")[0]];
    // Plurals of the strings follow the language only when its strings exist too.
    const locale = table ? lang : custom.locale || "en";
    const dates = dateLocale(lang);
    const ownJustNow = (table && table.justNow) || flat.justNow;
    const justNow = ownJustNow || (dates.split("-")[0] === "en" ? EN.justNow : null);
    // Built once per widget, not per comment.
    return { ...EN, ...flat, ...table, justNow, locale, dates, plural: new Intl.PluralRules(locale) };
  }
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, key) => (key in values ? values[key] : m));
  // The string for n in the plural category the language puts n in, else the "other" one.
  const plural = (S, key, n) =>
    fill(S[key + "_" + S.plural.select(n)] || S[key + "_other"], { n: n.toLocaleString(S.locale) });
  const countText = (S, n) => plural(S, "comments", n);

  // localStorage may be missing or refuse (private modes, full quota): then nothing is kept.
  const store = {
    get(key) {
      try {
        return JSON.parse(localStorage.getItem("commentdesk:" + key));
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value == null) localStorage.removeItem("commentdesk:" + key);
        else localStorage.setItem("commentdesk:" + key, JSON.stringify(value));
      } catch {
        /* nothing to keep then */
      }
    },
  };
  // The author's own comments (edit token, text as typed), by id; kept a while, then dropped.
  // Read from storage once per page: every comment rendered asks.
  let ownCache = null;
  function ownComments() {
    if (ownCache) return ownCache;
    ownCache = store.get("own") || {};
    const cutoff = Date.now() - OWN_KEPT_DAYS * 864e5;
    for (const id of Object.keys(ownCache)) if (ownCache[id].saved < cutoff) delete ownCache[id];
    return ownCache;
  }
  function keepOwn(id, entry) {
    const mine = ownComments();
    if (entry) mine[id] = { ...mine[id], ...entry };
    else delete mine[id];
    store.set("own", mine);
  }

  // Element builder: props become attributes (or listeners for "on…"); children become text.
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    el.append(...children.filter((child) => child != null && child !== false));
    return el;
  }
  const button = (text, onclick, props) => h("button", { type: "button", onclick, ...props }, text);

  const api = (path, options) =>
    fetch(new URL("api/v1/" + path, BASE), { credentials: "omit", ...options });
  const sitePath = (site) => (site ? "sites/" + encodeURIComponent(site) + "/" : "");
  const articlePath = (key) => "articles/" + key.split("/").map(encodeURIComponent).join("/") + "/comments";
  // Only web links become links, whatever the server let through.
  function webUrl(value) {
    try {
      const url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  const UNITS = [["year", 31536e3], ["month", 2592e3], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  // "5 minutes ago", "yesterday", "vor 5 Minuten", "gestern": numeric "auto" says "yesterday"
  // rather than "1 day ago". Made on first use, once per widget (it costs a fresh page ~20 ms).
  function relativeTime(S, date) {
    const seconds = (Date.now() - date) / 1000;
    S.relative = S.relative || new Intl.RelativeTimeFormat(S.dates, { numeric: "auto" });
    for (const [unit, size] of UNITS) {
      if (seconds >= size) return S.relative.format(-Math.floor(seconds / size), unit);
    }
    // Under a minute (or a clock a little ahead of ours).
    return S.justNow || S.relative.format(0, "second");
  }
  function waitText(S, seconds) {
    return seconds < 90
      ? fill(S.seconds, { n: Math.max(1, seconds) })
      : fill(S.minutes, { n: Math.ceil(seconds / 60) });
  }

  // Inherited properties reach the shadow root from the page: font, size, colour and line
  // height are welcome; alignment, spacing, case and wrapping set for the page's text are not.
  const CSS = `
:host{display:block;text-align:start;text-indent:0;text-transform:none;text-shadow:none;letter-spacing:normal;word-spacing:normal;white-space:normal;cursor:auto;--cd-line:var(--commentdesk-line,color-mix(in srgb,currentColor 22%,transparent));--cd-error:var(--commentdesk-error,#c62828);--cd-accent:var(--commentdesk-accent,currentColor)}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
h2{font-size:1.3em;line-height:1.3;margin:1.2em 0 .6em}
.thread,.replies{list-style:none;margin:0;padding:0}
.replies{margin-left:1.5em;padding-left:1em;border-left:2px solid var(--cd-line)}
.comment{margin:1.1em 0}
.meta{display:flex;flex-wrap:wrap;align-items:center;gap:.2em .6em}
.avatar{width:2.5em;height:2.5em;border-radius:50%;flex:none}
.name{font-weight:700;color:inherit}
a{color:var(--cd-accent)}
.small,time{font-size:.85em;opacity:.8}
.badge{font-size:.8em;border:1px solid var(--cd-line);border-radius:1em;padding:0 .6em}
.body{overflow-wrap:anywhere;margin:.3em 0}
.body>:first-child{margin-top:0}.body>:last-child{margin-bottom:0}
.body pre{overflow:auto}
.actions{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}
button{font:inherit;font-size:.9em;color:inherit;background:none;border:1px solid var(--cd-line);border-radius:.3em;padding:.25em .8em;cursor:pointer}
button[type=submit]{font-weight:700;border-color:currentColor}
button:disabled{opacity:.6;cursor:progress}
:focus-visible{outline:2px solid var(--cd-accent);outline-offset:2px}
.pending>article{border-left:3px dashed var(--cd-line);padding-left:.75em}
.removed{font-style:italic;opacity:.8}
form{margin:1em 0}
.field{margin:.8em 0}
label{display:block;font-weight:700;margin-bottom:.2em}
input,textarea{font:inherit;color:inherit;background:transparent;border:1px solid var(--cd-line);border-radius:.3em;padding:.45em;width:100%;max-width:36em}
textarea{min-height:7em;resize:vertical;max-width:none}
.check{display:flex;gap:.5em;align-items:baseline}.check input{width:auto}.check label{font-weight:400}
[aria-invalid=true]{border-color:var(--cd-error)}
.error{color:var(--cd-error);margin:.2em 0}
.hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}
@media (max-width:30em){.replies{margin-left:.4em;padding-left:.6em}}`;

  // A constructed sheet rather than a <style>: a host page whose CSP refuses inline styles
  // (style-src without 'unsafe-inline', or default-src alone) does not refuse it.
  let sheet;
  function styles(root) {
    if (!("adoptedStyleSheets" in root)) return [h("style", null, CSS)];
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    return [];
  }

  function mount(host) {
    if (host.shadowRoot) return; // the script was included twice
    const article = host.dataset.article || location.pathname;
    const feedPath = sitePath(host.dataset.site) + articlePath(article);
    // Asked for first, so the network works while the widget builds itself.
    const firstPage = fetchPage(null);
    const S = stringsFor(languageOf(host));
    const articleTitle = host.dataset.title || document.title;
    const canonical = document.querySelector("link[rel=canonical]");
    const articleUrl = host.dataset.url || (canonical && canonical.href) || location.href.split("#")[0];
    // A shadow root keeps our rules off the page and the page's rules off the widget, while
    // inherited properties (font, colour, line height) still flow in from the host element.
    // It also hides any no-JavaScript fallback left inside the host.
    const root = host.attachShadow({ mode: "open" });
    const rendered = new Map(); // comment id -> its <li>
    const removedParents = new Map(); // removed parent id -> placeholder <li>
    let count = 0;
    let cursor = null;
    let replyTo = null;
    let formInfo = {}; // the form token, and the edit window in minutes

    const heading = h("h2", { part: "heading" }, S.loading);
    const status = h("p", { role: "status", "aria-live": "polite", class: "small" });
    const pinned = h("ol", { class: "thread", part: "pinned" });
    const thread = h("ol", { class: "thread", part: "thread" });
    const more = button(S.loadMore, () => loadPage(true), { hidden: true, class: "more" });
    const form = buildForm();
    // Shown once the first page is in: a frame painted in between would hold the thread back
    // (some 20-40 ms). A slow network gets "Loading comments…" after a moment instead.
    const show = () => root.firstChild || root.append(...styles(root), heading, status, pinned, thread, h("p", null, more), form.el);
    setTimeout(show, 300);

    function setCount(n) {
      count = Math.max(0, n);
      heading.textContent = count ? countText(S, count) : S.noComments;
    }

    function meta(c, badges) {
      const website = c.website && webUrl(c.website);
      const name = website
        ? h("a", { class: "name", href: website, rel: "nofollow ugc noopener noreferrer" }, c.name)
        : h("span", { class: "name" }, c.name);
      const when = new Date(c.created_at);
      return h(
        "header",
        { class: "meta" },
        h("img", { class: "avatar", src: new URL(c.avatar, BASE).href, alt: "", width: 40, height: 40, loading: "lazy" }),
        name,
        isNaN(when) ? null : h("time", { datetime: c.created_at }, relativeTime(S, when)),
        ...badges.map((text) => h("span", { class: "badge" }, text)),
      );
    }

    function commentElement(c, pending) {
      const badges = [
        c.pinned && S.pinned,
        c.moderator_edited ? S.moderatorEdited : c.edited && S.edited,
        pending && S.pendingBadge,
      ].filter(Boolean);
      const body = h("div", { class: "body", part: "body" });
      body.innerHTML = c.body_html; // sanitized by the server (markdown-it + nh3)
      // A held comment cannot be replied to yet (the server would refuse).
      const actions = h("div", { class: "actions" }, !pending && button(S.reply, () => startReply(c)));
      const note = h("p", { class: "small note", role: "status", "aria-live": "polite" });
      const li = h(
        "li",
        { class: pending ? "comment pending" : "comment", id: "comment-" + c.id, part: "comment" },
        h("article", { tabindex: -1, "aria-label": c.name }, meta(c, badges), body, pending && h("p", { class: "small" }, S.onlyYou), actions, note),
        h("ol", { class: "replies" }),
      );
      addOwnerActions(li, c, actions, note);
      return li;
    }

    // Where a comment goes: under its parent, under a placeholder for a removed parent, or on top.
    function place(li, c) {
      const old = rendered.get(c.id);
      if (old) {
        li.lastChild.replaceWith(old.lastChild); // keep its replies
        if (form.el.parentNode === old) li.insertBefore(form.el, li.lastChild);
        old.replaceWith(li);
      } else if (c.pinned) {
        pinned.append(li);
      } else if (c.parent_id && rendered.has(c.parent_id)) {
        rendered.get(c.parent_id).lastChild.append(li);
      } else if (c.parent_id && c.parent_removed) {
        let holder = removedParents.get(c.parent_id);
        if (!holder) {
          holder = h("li", { class: "comment" }, h("p", { class: "removed" }, S.removed), h("ol", { class: "replies" }));
          removedParents.set(c.parent_id, holder);
          thread.append(holder);
        }
        holder.lastChild.append(li);
      } else {
        thread.append(li);
      }
      rendered.set(c.id, li);
      if (!titlesDue) titlesDue = setTimeout(addExactTimes);
    }

    // The exact time on hover, added just after the thread shows: a date formatter's first
    // use costs a fresh page some 15 ms, which the thread need not wait for.
    let titlesDue = 0;
    let exact = null;
    function addExactTimes() {
      titlesDue = 0;
      exact = exact || new Intl.DateTimeFormat(S.dates, { dateStyle: "long", timeStyle: "short" });
      for (const time of root.querySelectorAll("time:not([title])")) {
        time.title = exact.format(new Date(time.dateTime));
      }
    }

    // Own comments the public thread does not show (yet): visible to their author only.
    function showOwnPending() {
      for (const [id, own] of Object.entries(ownComments())) {
        const c = own.view;
        if (own.article !== article || !own.pending || rendered.has(c.id)) continue;
        if (c.parent_id && !rendered.has(c.parent_id) && cursor) continue; // parent on a later page
        if (!c.parent_id && cursor) continue; // newest: goes after the last page
        place(commentElement({ ...c, id: +id, pinned: false }, true), c);
      }
    }

    async function fetchPage(after) {
      const response = await api(feedPath + (after ? "?cursor=" + encodeURIComponent(after) : ""));
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }

    async function loadPage(next) {
      more.disabled = true;
      let page;
      try {
        page = await (next ? fetchPage(cursor) : firstPage);
      } catch {
        status.textContent = S.loadFailed;
        if (!next) heading.textContent = "";
        more.disabled = false;
        return show();
      }
      setCount(page.count);
      cursor = page.next_cursor;
      const own = ownComments();
      let first = null;
      for (const c of page.comments) {
        const li = commentElement(c, false);
        place(li, c);
        first = first || li;
        if (own[c.id] && own[c.id].pending) keepOwn(c.id, { pending: false });
      }
      showOwnPending();
      more.hidden = !cursor;
      more.disabled = false;
      // Keyboard users who asked for more land on the first new comment.
      if (next && !cursor && first) first.firstChild.focus();
      if (!next) {
        show();
        performance.mark("commentdesk:rendered");
        formInfo = newFormInfo(); // the form is shown from now
        host.dispatchEvent(new CustomEvent("commentdesk:rendered", { detail: { count } }));
        const target = /^#comment-\d+$/.test(location.hash) && root.querySelector(location.hash);
        if (target) target.scrollIntoView();
      }
    }

    /* Edit and delete, for the author, from the browser that posted, within the window. */
    function addOwnerActions(li, c, actions, note) {
      const own = ownComments()[c.id];
      if (!own || !own.token || Date.now() > own.until) return;
      const editButton = button(S.edit, startEdit);
      const deleteButton = button(S.delete, confirmDelete);
      actions.append(editButton, deleteButton);
      const headers = { "X-Edit-Token": own.token };
      const say = (text) => (note.textContent = text);
      let closeOpen = () => {}; // closes the open editor or delete prompt
      const closeWindow = () => {
        closeOpen();
        editButton.remove();
        deleteButton.remove();
        li.firstChild.focus();
        keepOwn(c.id, { token: null });
      };
      async function call(method, payload) {
        let response;
        try {
          response = await api("comments/" + c.id, {
            method,
            headers: payload ? { ...headers, "Content-Type": "application/json" } : headers,
            body: payload && JSON.stringify(payload),
          });
        } catch {
          say(S.sendFailed);
          return null;
        }
        const data = await response.json().catch(() => ({}));
        if (response.ok) return data;
        if (response.status === 403) closeWindow();
        const errors = data.errors ? Object.values(data.errors).flat() : [];
        say(errors.join(" ") || (data.error && data.error.message) || S.sendFailed);
        return null;
      }
      function startEdit() {
        const body = li.querySelector(".body");
        const area = h("textarea", { id: "edit-" + c.id, required: true });
        area.value = ownComments()[c.id].text || body.textContent;
        const editor = h(
          "div",
          { class: "field" },
          h("label", { for: "edit-" + c.id }, S.editLabel),
          area,
          h("div", { class: "actions" }, button(S.save, save, { class: "save" }), button(S.cancel, done)),
        );
        async function save() {
          if (!area.value.trim()) return say(S.bodyRequired);
          const updated = await call("PATCH", { body: area.value });
          if (!updated) return;
          keepOwn(c.id, { text: area.value, pending: updated.status === "pending", view: { ...own.view, ...updated } });
          const fresh = commentElement({ ...c, ...updated, edited: true }, updated.status === "pending");
          place(fresh, c);
          fresh.querySelector(".note").textContent = updated.status === "pending" ? S.editPending : S.saved;
          fresh.firstChild.focus();
        }
        function done() {
          editor.replaceWith(body);
          actions.hidden = false;
          editButton.focus();
        }
        closeOpen = done;
        body.replaceWith(editor);
        actions.hidden = true;
        area.focus();
      }
      function confirmDelete() {
        const prompt = h(
          "span",
          { class: "actions" },
          S.confirmDelete,
          button(S.confirmDeleteYes, remove, { class: "confirm" }),
          button(S.cancel, (closeOpen = () => {
            prompt.remove();
            deleteButton.hidden = false;
            deleteButton.focus();
          })),
        );
        deleteButton.hidden = true;
        actions.append(prompt);
        prompt.querySelector("button").focus();
      }
      async function remove() {
        if (!(await call("DELETE"))) return;
        const wasPublic = !li.classList.contains("pending");
        if (li.contains(form.el)) stopReply();
        keepOwn(c.id, null);
        rendered.delete(c.id);
        if (li.lastChild.children.length) {
          li.firstChild.replaceWith(h("p", { class: "removed" }, S.removed));
        } else {
          li.remove();
        }
        if (wasPublic) setCount(count - 1);
        status.textContent = S.deleted;
      }
    }

    /* The form. */
    function buildForm() {
      const fields = {};
      const errors = {};
      function field(name, type, required, extra) {
        const id = "cd-" + name;
        const input = h(type === "textarea" ? "textarea" : "input", {
          id,
          name,
          type: type === "textarea" ? null : type,
          required,
          "aria-describedby": id + "-error",
          ...extra,
        });
        const error = h("p", { class: "error", id: id + "-error", hidden: true });
        fields[name] = input;
        errors[name] = error;
        return h(
          "div",
          { class: "field" },
          h("label", { for: id }, S[name === "body" ? "comment" : name], required && h("span", { "aria-hidden": "true" }, " *")),
          input,
          error,
        );
      }
      const saved = store.get("author");
      const remember = h("input", { type: "checkbox", id: "cd-remember", checked: !!saved });
      // Unticked by default, and not remembered: the service mails only those who ask.
      const mailLink = h("input", { type: "checkbox", id: "cd-mail-link", name: "my_comments_link" });
      const replying = h("p", { class: "small", hidden: true });
      const cancelReply = button(S.cancelReply, () => stopReply(), { hidden: true });
      const formStatus = h("p", { role: "status", "aria-live": "polite" });
      const submitButton = h("button", { type: "submit" }, S.submit);
      const honeypot = h("input", { name: "hp", id: "cd-hp", tabindex: -1, autocomplete: "off" });
      const el = h(
        "form",
        { novalidate: true, part: "form", onsubmit: send },
        h("h2", null, S.title),
        replying,
        h("p", { class: "small" }, S.notice),
        field("name", "text", true, { autocomplete: "name", maxlength: NAME_MAX }),
        field("email", "email", true, { autocomplete: "email" }),
        field("website", "url", false, { autocomplete: "url", inputmode: "url" }),
        field("body", "textarea", true),
        h("div", { class: "hp", "aria-hidden": "true" }, h("label", { for: "cd-hp" }, S.honeypot), honeypot),
        h("p", { class: "check" }, remember, h("label", { for: "cd-remember" }, S.remember)),
        h("p", { class: "check" }, mailLink, h("label", { for: "cd-mail-link" }, S.mailLink)),
        h("p", { class: "actions" }, submitButton, cancelReply),
        formStatus,
      );
      for (const key of ["name", "email", "website"]) if (saved && saved[key]) fields[key].value = saved[key];

      function showErrors(found) {
        let first = null;
        for (const [name, input] of Object.entries(fields)) {
          const messages = found[name];
          errors[name].textContent = messages ? [].concat(messages).join(" ") : "";
          errors[name].hidden = !messages;
          input.setAttribute("aria-invalid", messages ? "true" : "false");
          if (messages && !first) first = input;
        }
        if (first) first.focus();
        // Anything not about a visible field (a vanished parent, say) is said in the status.
        const other = Object.entries(found).filter(([name]) => !(name in fields)).flatMap(([, m]) => m);
        formStatus.textContent = other.length ? other.join(" ") : first ? S.checkFields : "";
      }

      function check(v) {
        const found = {};
        if (!v.name.trim()) found.name = S.nameRequired;
        else if (v.name.trim().length > NAME_MAX) found.name = S.nameTooLong;
        else if (CONTROL_IN_LINE.test(v.name)) found.name = S.controlCharacters;
        if (!v.email.trim()) found.email = S.emailRequired;
        else if (v.email.length > EMAIL_MAX || !/^[^\s@]+@[^\s@]+$/.test(v.email.trim())) found.email = S.emailInvalid;
        const site = v.website.trim();
        if (site && (site.length > WEBSITE_MAX || CONTROL.test(site) || !/^https?:\/\/./i.test(site) && /^[^/]*:/.test(site)))
          found.website = S.websiteInvalid;
        if (!v.body.trim()) found.body = S.bodyRequired;
        else if (v.body.length > BODY_MAX) found.body = fill(S.bodyTooLong, { n: v.body.length.toLocaleString(S.locale) });
        else if (CONTROL.test(v.body)) found.body = S.controlCharacters;
        return found;
      }

      async function send(event) {
        event.preventDefault();
        const values = Object.fromEntries(Object.entries(fields).map(([k, input]) => [k, input.value]));
        const problems = check(values);
        showErrors(problems);
        if (Object.keys(problems).length) return;
        submitButton.disabled = true;
        formStatus.textContent = S.sending;
        const info = await formInfo;
        let response;
        try {
          response = await api(feedPath, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({
              ...values,
              parent_id: replyTo && replyTo.id,
              hp: honeypot.value,
              form_token: info.token,
              my_comments_link: mailLink.checked,
              article_title: articleTitle,
              article_url: articleUrl,
            }),
          });
        } catch {
          formStatus.textContent = S.sendFailed;
          return;
        } finally {
          submitButton.disabled = false;
        }
        const data = await response.json().catch(() => ({}));
        if (response.status === 422 && data.errors) return showErrors(data.errors);
        // (Without a readable Retry-After, the server's own message below says to wait.)
        const wait = parseInt(response.headers.get("Retry-After"), 10);
        if (response.status === 429 && wait >= 0) {
          formStatus.textContent = fill(S.tooFast, { wait: waitText(S, wait) });
          return;
        }
        if (!response.ok) {
          formStatus.textContent = (data.error && data.error.message) || S.sendFailed;
          return;
        }
        if (remember.checked) store.set("author", { name: values.name, email: values.email, website: values.website });
        else store.set("author", null);
        const pending = data.status !== "approved";
        keepOwn(data.id, {
          article,
          token: data.edit_token,
          text: values.body,
          pending,
          saved: Date.now(),
          // By this browser's clock, which may differ from the server's.
          until: Date.now() + (info.edit_window_minutes ?? DEFAULT_EDIT_MINUTES) * 6e4,
          view: data,
        });
        if (!rendered.has(data.id)) {
          place(commentElement(data, pending), data);
          if (!pending) setCount(count + 1);
        }
        fields.body.value = "";
        mailLink.checked = false;
        stopReply();
        formStatus.textContent = pending ? S.pending : S.published;
        formInfo = newFormInfo(); // the next comment's form is shown from now
      }

      return { el, fields, replying, cancelReply, formStatus };
    }

    function startReply(c) {
      replyTo = c;
      form.replying.textContent = fill(S.replyingTo, { name: c.name });
      form.replying.hidden = form.cancelReply.hidden = false;
      const li = rendered.get(c.id);
      li.insertBefore(form.el, li.lastChild);
      const fields = form.fields;
      (fields.name.value ? fields.body : fields.name).focus();
    }
    function stopReply() {
      const from = replyTo;
      replyTo = null;
      form.replying.hidden = form.cancelReply.hidden = true;
      root.append(form.el);
      if (from && rendered.has(from.id)) rendered.get(from.id).querySelector("button").focus();
    }

    function newFormInfo() {
      return api("form-token")
        .then((r) => r.json())
        .catch(() => ({}));
    }
    return loadPage(false);
  }

  /* Listing pages: every [data-commentdesk-count] element gets its article's count, all
     from one request per site (the API answers up to 100 articles at once). */
  function fillCounts() {
    const S = stringsFor(languageOf(null));
    const bySite = new Map();
    for (const el of document.querySelectorAll("[data-commentdesk-count]")) {
      const site = el.dataset.site || "";
      bySite.set(site, [...(bySite.get(site) || []), el]);
    }
    for (const [site, elements] of bySite) {
      const keys = [...new Set(elements.map((el) => el.dataset.commentdeskCount))].filter(
        (key) => key && key.length <= 255,
      );
      for (let i = 0; i < keys.length; i += 100) {
        const query = keys.slice(i, i + 100).map((key) => "article=" + encodeURIComponent(key));
        api(sitePath(site) + "counts?" + query.join("&"))
          .then((response) => (response.ok ? response.json() : { counts: {} }))
          .then(({ counts }) => {
            for (const el of elements) {
              const n = counts[el.dataset.commentdeskCount];
              if (typeof n === "number") el.textContent = countText(S, n);
            }
          })
          .catch(() => {});
      }
    }
  }

  function start() {
    document.querySelectorAll("#comments, [data-commentdesk]").forEach(mount);
    fillCounts();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
