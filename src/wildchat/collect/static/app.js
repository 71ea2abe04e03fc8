// The public chat page: consent first, then a streaming chat against the service's own
// OpenAI-compatible API (/v1/consent, /v1/models, /v1/chat/completions).
//
// Everything the visitor owns stays in this browser's localStorage: the consent key (sent as
// "Authorization: Bearer"), the terms they agreed to, their past conversations and settings.
// Model output is rendered by markdown.js, which only ever creates text nodes and safe elements.
"use strict";

(function () {
  const KEYS = {
    consent: "wildchat.consent.v1",
    conversations: "wildchat.conversations.v1",
    current: "wildchat.current.v1",
    settings: "wildchat.settings.v1",
  };
  const MAX_TITLE = 60;
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------------------- browser storage
  const saved = {
    get(key, fallback) {
      try {
        const raw = localStorage.getItem(key);
        return raw === null ? fallback : JSON.parse(raw);
      } catch {
        return fallback; // unreadable or blocked storage: start fresh rather than break the page
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(key, JSON.stringify(value));
      } catch (err) {
        showError("chat-error", `This browser refused to save the conversation (${err.name}).`);
      }
    },
    clearAll() {
      for (const key of Object.values(KEYS)) localStorage.removeItem(key);
    },
  };

  let terms = null; // {terms_version, terms} as GET /v1/consent returned them
  let consent = saved.get(KEYS.consent, null); // {key, terms_version, terms, agreed_at}
  let conversations = saved.get(KEYS.conversations, []);
  let current = null; // the conversation on screen
  let stream = null; // {controller} while a reply is streaming
  let renderQueued = null;
  let withdrawn = false; // set once the visitor withdraws, until they agree again

  // A reply that was streaming when the page closed can never finish now.
  for (const conv of conversations) {
    for (const m of conv.messages) if (m.status === "streaming") m.status = "interrupted";
  }

  // ------------------------------------------------------------------------------------ API calls
  class ApiError extends Error {
    constructor(kind, message, status) {
      super(message);
      this.kind = kind; // "consent" | "rate" | "upstream" | "network" | "request"
      this.status = status;
    }
  }

  function retryText(seconds) {
    if (!Number.isFinite(seconds) || seconds <= 0) return "in a moment";
    const at = new Date(Date.now() + seconds * 1000).toLocaleTimeString();
    if (seconds < 90) return `in ${Math.ceil(seconds)} second${Math.ceil(seconds) === 1 ? "" : "s"} (at ${at})`;
    return `in ${Math.ceil(seconds / 60)} minutes (at ${at})`;
  }

  async function errorFrom(resp) {
    let message = "";
    try {
      const body = await resp.json();
      message = (body && body.error && String(body.error.message || "")) || "";
    } catch {
      // not JSON (a proxy's error page): fall back to the status line below
    }
    const status = resp.status;
    if (status === 401 || status === 403) {
      return new ApiError("consent", "Your consent is no longer valid. Please agree to the terms again.", status);
    }
    if (status === 429) {
      const header = resp.headers.get("Retry-After");
      let seconds = Number(header);
      if (header && !Number.isFinite(seconds)) seconds = (Date.parse(header) - Date.now()) / 1000;
      return new ApiError("rate", `Too many requests for now. Please try again ${retryText(seconds)}.`, status);
    }
    if (status === 502 || status === 503 || status === 504) {
      return new ApiError(
        "upstream",
        "The model is not answering right now (its server is down or busy). Please try again in a minute.",
        status,
      );
    }
    if (status === 413) return new ApiError("request", "That message is too long to send.", status);
    return new ApiError("request", message || `Something went wrong (HTTP ${status}).`, status);
  }

  async function api(path, options = {}) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (options.body) headers["Content-Type"] = "application/json";
    if (consent && consent.key) headers.Authorization = `Bearer ${consent.key}`;
    let resp;
    try {
      resp = await fetch(path, { ...options, headers, credentials: "omit", cache: "no-store" });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError("network", "The service cannot be reached. Check your connection and try again.", 0);
    }
    if (!resp.ok) throw await errorFrom(resp);
    return resp;
  }

  // Reads an OpenAI server-sent-event stream, calling onDelta with each piece of content; returns
  // the finish reason ("stop", "length", ...) once the stream says [DONE].
  async function readStream(resp, onDelta) {
    let finish = null;
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const events = buffer.split(/\r?\n\r?\n/);
      buffer = events.pop();
      for (const event of events) {
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (!data) continue;
        if (data === "[DONE]") return finish;
        let chunk;
        try {
          chunk = JSON.parse(data);
        } catch {
          continue; // a malformed event: skip it rather than lose the reply so far
        }
        if (chunk.error) {
          const message = chunk.error.message || "The model stopped with an error.";
          throw new ApiError("upstream", `The reply was cut off: ${message}`, 502);
        }
        const choice = chunk.choices && chunk.choices[0];
        if (choice && choice.finish_reason) finish = choice.finish_reason;
        const delta = choice && choice.delta;
        if (delta && typeof delta.content === "string" && delta.content) onDelta(delta.content);
      }
    }
    throw new ApiError("upstream", "The reply was cut off before it finished. You can regenerate it.", 502);
  }

  // ----------------------------------------------------------------------------------- messages UI
  function showError(id, message) {
    const node = $(id);
    node.textContent = message;
    node.hidden = !message;
  }

  function handleError(err) {
    if (err.kind === "consent") {
      backToConsent("Your consent key is no longer valid (it was withdrawn or replaced). Please read the terms and agree again to keep chatting.");
      return;
    }
    showError("chat-error", err.message || String(err));
  }

  // --------------------------------------------------------------------------------------- consent
  // The terms are an operator's plain-text file, hard-wrapped: rejoin its lines into paragraphs and
  // "- " lists so they reflow on any screen width. Text only, like everything else on the page.
  function renderTerms(text, node) {
    const blocks = [];
    for (const chunk of String(text).replace(/\r\n?/g, "\n").split(/\n\s*\n/)) {
      let para = [];
      let list = null;
      const flush = () => {
        if (para.length) blocks.push(Object.assign(document.createElement("p"), { textContent: para.join(" ") }));
        para = [];
      };
      for (const raw of chunk.split("\n")) {
        const line = raw.trim();
        if (!line) continue;
        const bullet = /^[-*•]\s+(.*)$/.exec(line);
        if (bullet) {
          flush();
          if (!list) blocks.push((list = document.createElement("ul")));
          list.append(Object.assign(document.createElement("li"), { textContent: bullet[1] }));
        } else if (list && /^\s{3,}/.test(raw)) {
          list.lastChild.textContent += ` ${line}`; // a wrapped list item
        } else {
          list = null;
          para.push(line);
        }
      }
      flush();
    }
    node.replaceChildren(...blocks);
  }

  async function loadTerms() {
    const text = $("terms-text");
    try {
      const resp = await fetch("/v1/consent", { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!resp.ok) throw await errorFrom(resp);
      terms = await resp.json();
      renderTerms(terms.terms, text);
      $("terms-version").textContent = `(version ${terms.terms_version})`;
      $("agree").disabled = false;
      showError("consent-error", "");
    } catch (err) {
      text.textContent = "";
      showError("consent-error", `The terms could not be loaded: ${err.message} Reload the page to try again.`);
    }
  }

  function backToConsent(notice) {
    if (stream) stream.controller.abort();
    consent = null;
    localStorage.removeItem(KEYS.consent);
    showConsent(notice);
  }

  function showConsent(notice) {
    $("chat-screen").hidden = true;
    $("chat-screen").inert = true;
    $("consent-screen").hidden = false;
    $("consent-step-1").hidden = false;
    $("consent-step-2").hidden = true;
    $("confirm-publish").checked = false;
    $("confirm-agree").disabled = true;
    $("agree").disabled = true;
    const noticeEl = $("consent-notice");
    noticeEl.textContent = notice || "";
    noticeEl.hidden = !notice;
    loadTerms();
  }

  async function giveConsent() {
    $("confirm-agree").disabled = true;
    try {
      const resp = await api("/v1/consent", {
        method: "POST",
        body: JSON.stringify({ agree: true, terms_version: terms.terms_version }),
      });
      const body = await resp.json();
      consent = {
        key: body.key,
        terms_version: body.terms_version || terms.terms_version,
        terms: terms.terms,
        agreed_at: new Date().toISOString(),
      };
      saved.set(KEYS.consent, consent);
      withdrawn = false;
      showChat();
    } catch (err) {
      $("confirm-agree").disabled = false;
      showError("consent-error", `Your consent could not be recorded: ${err.message}`);
    }
  }

  // ----------------------------------------------------------------------------------------- chat
  async function showChat() {
    $("consent-screen").hidden = true;
    $("chat-screen").hidden = false;
    $("chat-screen").inert = false;
    showError("chat-error", "");
    const wanted = saved.get(KEYS.current, null);
    current = conversations.find((c) => c.id === wanted) || newConversation();
    applySettings();
    renderConversationList();
    renderMessages();
    $("composer-input").focus();
    await loadModels();
  }

  async function loadModels() {
    const select = $("model");
    try {
      const resp = await api("/v1/models");
      const body = await resp.json();
      const ids = (body.data || []).map((m) => m.id).filter((id) => typeof id === "string");
      select.replaceChildren(...ids.map((id) => new Option(id, id)));
      const settings = saved.get(KEYS.settings, {});
      if (ids.includes(settings.model)) select.value = settings.model;
      if (!ids.length) showError("chat-error", "No model is available right now. Please come back later.");
    } catch (err) {
      handleError(err);
    }
  }

  function applySettings() {
    const settings = saved.get(KEYS.settings, {});
    if (typeof settings.temperature === "number") $("temperature").value = settings.temperature;
    if (typeof settings.top_p === "number") $("top-p").value = settings.top_p;
    showSettingValues();
  }

  function showSettingValues() {
    $("temperature-value").textContent = Number($("temperature").value).toFixed(1);
    $("top-p-value").textContent = Number($("top-p").value).toFixed(2);
  }

  function saveSettings() {
    showSettingValues();
    saved.set(KEYS.settings, {
      model: $("model").value,
      temperature: Number($("temperature").value),
      top_p: Number($("top-p").value),
    });
  }

  function newConversation() {
    const id = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    return { id, title: "", created_at: new Date().toISOString(), updated_at: null, messages: [] };
  }

  function persist(conv = current) {
    if (!conv.messages.length) return;
    conv.updated_at = new Date().toISOString();
    const first = conv.messages.find((m) => m.role === "user");
    conv.title = first ? first.content.replace(/\s+/g, " ").trim().slice(0, MAX_TITLE) : "Conversation";
    conversations = [conv, ...conversations.filter((c) => c.id !== conv.id)];
    saved.set(KEYS.conversations, conversations);
    if (conv === current) saved.set(KEYS.current, conv.id);
    renderConversationList();
  }

  function openConversation(conv) {
    if (stream) stream.controller.abort();
    current = conv;
    saved.set(KEYS.current, conv.id);
    showError("chat-error", "");
    renderConversationList();
    renderMessages();
    closeSidebarOnNarrow();
    $("composer-input").focus();
  }

  function deleteConversation(conv) {
    conversations = conversations.filter((c) => c.id !== conv.id);
    saved.set(KEYS.conversations, conversations);
    if (current.id === conv.id) openConversation(newConversation());
    else renderConversationList();
  }

  async function send(history) {
    showError("chat-error", "");
    const model = $("model").value;
    if (!model) {
      showError("chat-error", "No model is available right now. Please come back later.");
      return;
    }
    current.messages = history;
    const reply = { role: "assistant", content: "", status: "streaming" };
    current.messages.push(reply);
    persist();
    renderMessages();
    const controller = new AbortController();
    stream = { controller };
    setStreaming(true);
    const conv = current;
    try {
      const resp = await api("/v1/chat/completions", {
        method: "POST",
        signal: controller.signal,
        body: JSON.stringify({
          model,
          messages: history.filter((m) => m !== reply).map((m) => ({ role: m.role, content: m.content })),
          stream: true,
          temperature: Number($("temperature").value),
          top_p: Number($("top-p").value),
        }),
      });
      const finish = await readStream(resp, (delta) => {
        reply.content += delta;
        scheduleRender(conv, reply);
      });
      reply.status = finish === "length" ? "length" : "done";
    } catch (err) {
      if (err.name === "AbortError") {
        reply.status = "stopped";
      } else {
        reply.status = "interrupted";
        if (!reply.content) conv.messages = conv.messages.filter((m) => m !== reply);
        handleError(err);
      }
    } finally {
      if (stream && stream.controller === controller) stream = null;
      setStreaming(false);
      // After a withdrawal, or once the visitor deleted this conversation, do not write it back.
      if (!withdrawn && (conv === current || conversations.includes(conv))) {
        persist(conv);
        if (current === conv) renderMessages();
      }
    }
  }

  function sendComposer() {
    const input = $("composer-input");
    const text = input.value;
    if (!text.trim() || stream) return;
    input.value = "";
    send([...current.messages, { role: "user", content: text }]);
  }

  function regenerate() {
    const lastUser = current.messages.map((m) => m.role).lastIndexOf("user");
    if (lastUser < 0 || stream) return;
    send(current.messages.slice(0, lastUser + 1));
  }

  function resendEdited(index, text) {
    if (!text.trim() || stream) return;
    send([...current.messages.slice(0, index), { role: "user", content: text }]);
  }

  function setStreaming(on) {
    $("send").hidden = on;
    $("stop").hidden = !on;
    $("composer").setAttribute("aria-busy", String(on));
    for (const button of document.querySelectorAll(".msg-actions button")) button.disabled = on;
    if (!on && document.activeElement === $("stop")) $("composer-input").focus();
  }

  // --------------------------------------------------------------------------------------- render
  function scheduleRender(conv, reply) {
    if (renderQueued || conv !== current) return;
    renderQueued = requestAnimationFrame(() => {
      renderQueued = null;
      const body = document.querySelector('.msg[data-streaming="true"] .msg-body');
      if (body) {
        const stick = nearBottom();
        body.replaceChildren(window.WildchatMarkdown.render(reply.content));
        if (stick) scrollToEnd();
      }
    });
  }

  function nearBottom() {
    const box = $("messages");
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function scrollToEnd() {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function button(label, onClick, ariaLabel) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (ariaLabel) b.setAttribute("aria-label", ariaLabel);
    b.addEventListener("click", onClick);
    return b;
  }

  function renderMessages() {
    const box = $("messages");
    const nodes = current.messages.map((m, i) => renderMessage(m, i));
    $("empty-hint").hidden = nodes.length > 0;
    box.replaceChildren($("empty-hint"), ...nodes);
    scrollToEnd();
  }

  function renderMessage(message, index) {
    const isUser = message.role === "user";
    const article = document.createElement("article");
    article.className = `msg ${isUser ? "msg-user" : "msg-assistant"}`;
    article.dataset.index = String(index);
    if (message.status === "streaming") {
      article.dataset.streaming = "true";
      article.setAttribute("aria-busy", "true"); // screen readers read the reply once, when it is done
    }
    const who = document.createElement("h2");
    who.className = "msg-role";
    who.textContent = isUser ? "You" : "Assistant";
    const body = document.createElement("div");
    body.className = "msg-body";
    if (isUser) body.textContent = message.content;
    else body.append(window.WildchatMarkdown.render(message.content));
    article.append(who, body);

    const notes = {
      stopped: "Stopped.",
      interrupted: "Cut off before the end.",
      length: "Cut at the length limit: regenerate or ask it to continue.",
    };
    if (notes[message.status]) {
      const note = document.createElement("p");
      note.className = "msg-note";
      note.textContent = notes[message.status];
      article.append(note);
    }
    const actions = document.createElement("div");
    actions.className = "msg-actions";
    if (isUser) {
      actions.append(button("Edit", () => startEdit(article, index), `Edit message ${index + 1}`));
      // The reply failed before any text came: offer to ask again.
      if (index === current.messages.length - 1) actions.append(button("Retry", regenerate, "Retry this message"));
    } else if (index === current.messages.length - 1 && message.status !== "streaming") {
      actions.append(button("Regenerate", regenerate, "Regenerate the last reply"));
    }
    for (const b of actions.children) b.disabled = Boolean(stream);
    if (actions.children.length) article.append(actions);
    return article;
  }

  function startEdit(article, index) {
    const original = current.messages[index].content;
    const form = document.createElement("form");
    form.className = "edit-form";
    const label = document.createElement("label");
    label.className = "visually-hidden";
    label.htmlFor = `edit-${index}`;
    label.textContent = "Edit your message";
    const area = document.createElement("textarea");
    area.id = `edit-${index}`;
    area.value = original;
    area.rows = Math.min(10, original.split("\n").length + 1);
    const actions = document.createElement("div");
    actions.className = "msg-actions";
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.className = "primary";
    submit.textContent = "Save and send";
    actions.append(submit, button("Cancel", () => renderMessages()));
    form.append(label, area, actions);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      resendEdited(index, area.value);
    });
    area.addEventListener("keydown", (event) => enterSends(event, () => form.requestSubmit()));
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") renderMessages();
    });
    const oldActions = article.querySelector(".msg-actions");
    article.querySelector(".msg-body").replaceWith(form);
    if (oldActions) oldActions.remove();
    area.focus();
  }

  function renderConversationList() {
    const list = $("conversation-list");
    const items = conversations.map((conv) => {
      const li = document.createElement("li");
      const open = button(conv.title || "Untitled", () => openConversation(conv));
      open.className = "conversation-open";
      if (current && conv.id === current.id) open.setAttribute("aria-current", "true");
      const del = button("×", () => deleteConversation(conv), `Delete conversation: ${conv.title || "Untitled"}`);
      del.className = "conversation-delete";
      li.append(open, del);
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "muted small";
      li.textContent = "None yet.";
      items.push(li);
    }
    list.replaceChildren(...items);
  }

  // -------------------------------------------------------------------------------------- privacy
  function openPrivacy() {
    $("privacy-terms-version").textContent = consent ? consent.terms_version : "";
    $("privacy-agreed-at").textContent =
      consent && consent.agreed_at ? ` on ${new Date(consent.agreed_at).toLocaleString()}` : "";
    renderTerms((consent && consent.terms) || "", $("privacy-terms-text"));
    $("withdraw-confirm").hidden = true;
    $("withdraw").hidden = false;
    showError("privacy-error", "");
    $("privacy-panel").hidden = false;
    $("open-privacy").setAttribute("aria-expanded", "true");
    $("close-privacy").focus();
  }

  function closePrivacy() {
    $("privacy-panel").hidden = true;
    $("open-privacy").setAttribute("aria-expanded", "false");
    $("open-privacy").focus();
  }

  async function withdraw() {
    $("withdraw-yes").disabled = true;
    let deleted = null;
    try {
      const resp = await api("/v1/consent", { method: "DELETE" });
      const body = await resp.json().catch(() => ({}));
      deleted = Object.values(body).find((v) => typeof v === "number");
    } catch (err) {
      // 401: the key is already revoked; there is nothing left on the server to delete.
      if (err.kind !== "consent") {
        $("withdraw-yes").disabled = false;
        showError("privacy-error", `Withdrawal failed, nothing was deleted: ${err.message}`);
        return;
      }
    }
    $("withdraw-yes").disabled = false;
    $("privacy-panel").hidden = true;
    withdrawn = true;
    saved.clearAll();
    conversations = [];
    current = newConversation();
    const count = typeof deleted === "number" ? ` (${deleted} record${deleted === 1 ? "" : "s"})` : "";
    backToConsent(`Your consent was withdrawn and your data deleted${count}. This browser's copy is cleared too.`);
  }

  // --------------------------------------------------------------------------------------- wiring
  function enterSends(event, submit) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  function closeSidebarOnNarrow() {
    $("sidebar").classList.remove("open");
    $("toggle-sidebar").setAttribute("aria-expanded", "false");
  }

  function wire() {
    $("agree").addEventListener("click", () => {
      $("consent-step-1").hidden = true;
      $("consent-step-2").hidden = false;
      $("confirm-publish").focus();
    });
    $("confirm-publish").addEventListener("change", (e) => ($("confirm-agree").disabled = !e.target.checked));
    $("confirm-cancel").addEventListener("click", () => {
      $("consent-step-2").hidden = true;
      $("consent-step-1").hidden = false;
      $("confirm-publish").checked = false;
      $("confirm-agree").disabled = true;
      $("agree").focus();
    });
    $("confirm-agree").addEventListener("click", giveConsent);

    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      sendComposer();
    });
    $("composer-input").addEventListener("keydown", (event) => enterSends(event, sendComposer));
    $("stop").addEventListener("click", () => stream && stream.controller.abort());
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      if (stream) stream.controller.abort();
      else if (!$("privacy-panel").hidden) closePrivacy();
    });
    $("new-chat").addEventListener("click", () => openConversation(newConversation()));
    for (const id of ["model", "temperature", "top-p"]) $(id).addEventListener("input", saveSettings);

    $("open-privacy").addEventListener("click", () => ($("privacy-panel").hidden ? openPrivacy() : closePrivacy()));
    $("close-privacy").addEventListener("click", closePrivacy);
    $("withdraw").addEventListener("click", () => {
      $("withdraw").hidden = true;
      $("withdraw-confirm").hidden = false;
      $("withdraw-no").focus();
    });
    $("withdraw-no").addEventListener("click", () => {
      $("withdraw-confirm").hidden = true;
      $("withdraw").hidden = false;
      $("withdraw").focus();
    });
    $("withdraw-yes").addEventListener("click", withdraw);
    $("toggle-sidebar").addEventListener("click", () => {
      const open = $("sidebar").classList.toggle("open");
      $("toggle-sidebar").setAttribute("aria-expanded", String(open));
    });
    // Another tab withdrew or agreed: follow it.
    window.addEventListener("storage", (event) => {
      if (event.key === KEYS.consent && !event.newValue && consent) backToConsent("Consent was withdrawn in another tab.");
    });
  }

  wire();
  if (consent && consent.key) showChat();
  else showConsent("");
})();
