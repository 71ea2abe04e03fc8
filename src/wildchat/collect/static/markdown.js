// A small Markdown renderer for untrusted model output.
//
// It never parses HTML: it builds DOM nodes with createElement and puts every piece of the input in
// text nodes, so "<script>" or "<img onerror=...>" in a reply can only ever show as text. Links keep
// only http(s) and mailto targets; images become plain links (no requests to third parties, which the
// page's Content-Security-Policy would block anyway). Written instead of vendoring a renderer plus a
// sanitizer so that the page stays small and has no HTML-parsing step to get wrong.
"use strict";

(function () {
  const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
  const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
  const QUOTE = /^ {0,3}>\s?/;
  const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])\s+(.*)$/;
  const TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;
  const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeHref(raw) {
    try {
      const url = new URL(raw.trim(), "https://invalid.example/");
      // Relative targets resolve against the dummy base: refuse them, only absolute links are kept.
      if (url.hostname === "invalid.example" || !SAFE_PROTOCOLS.has(url.protocol)) return null;
      return url.href;
    } catch {
      return null;
    }
  }

  function link(href, label) {
    const a = el("a");
    a.href = href;
    a.rel = "noopener noreferrer nofollow ugc";
    a.target = "_blank";
    inline(label, a, true); // no links inside a link
    return a;
  }

  // Inline spans, first match wins at each position. Groups: 1 escape, 2-3 code, 4-6 link/image,
  // 7-8 strong, 9-10 emphasis, 11 strike, 12 bare URL, 13 newline.
  const INLINE = new RegExp(
    [
      /\\([\\`*_{}[\]()#+\-.!~|>])/.source,
      /(`+)([^`][\s\S]*?|[\s\S]*?[^`])\2(?!`)/.source,
      /(!?)\[([^\]\n]*)\]\(\s*<?([^\s<>()]+)>?(?:\s+"[^"\n]*")?\s*\)/.source,
      /(\*\*|__)(?=\S)([\s\S]*?\S)\7/.source,
      /(\*|_)(?=[^\s*_])([\s\S]*?[^\s\\])\9(?![*_\w])/.source,
      /~~(?=\S)([\s\S]*?\S)~~/.source,
      /(https?:\/\/[^\s<>"']*[^\s<>()"'.,;:!?])/.source,
      /(\n)/.source,
    ].join("|"),
    "g",
  );

  function inline(text, parent, inLink = false) {
    const re = new RegExp(INLINE.source, "g");
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      const before = text.slice(last, m.index);
      // "_" inside a word (snake_case) is not emphasis.
      if ((m[9] === "_" || m[7] === "__") && /\w$/.test(text.slice(0, m.index))) {
        re.lastIndex = m.index + 1;
        continue;
      }
      if (before) parent.append(before);
      if (m[1] !== undefined) parent.append(m[1]);
      else if (m[2] !== undefined) parent.append(el("code", "", m[3].replace(/^ (.*) $/s, "$1")));
      else if (m[4] !== undefined) {
        const href = inLink ? null : safeHref(m[6]);
        const label = m[4] === "!" ? `[image: ${m[5] || m[6]}]` : m[5] || m[6];
        if (href) parent.append(link(href, label));
        else parent.append(m[0]);
      } else if (m[7] !== undefined) inline(m[8], parent.appendChild(el("strong")), inLink);
      else if (m[9] !== undefined) inline(m[10], parent.appendChild(el("em")), inLink);
      else if (m[11] !== undefined) inline(m[11], parent.appendChild(el("del")), inLink);
      else if (m[12] !== undefined) {
        let url = m[12];
        // Wikipedia-style "(...)" inside a URL keeps its closing parenthesis; a sentence's does not.
        if (text[re.lastIndex] === ")" && url.split("(").length > url.split(")").length) {
          url += ")";
          re.lastIndex += 1;
        }
        const href = inLink ? null : safeHref(url);
        if (href) parent.append(link(href, url));
        else parent.append(url);
      } else parent.append(el("br"));
      last = re.lastIndex;
    }
    if (last < text.length) parent.append(text.slice(last));
    return parent;
  }

  function codeBlock(lang, code) {
    const wrap = el("div", "code-block");
    const bar = el("div", "code-bar");
    bar.append(el("span", "code-lang", lang || "code"));
    if (navigator.clipboard) {
      const copy = el("button", "copy", "Copy");
      copy.type = "button";
      copy.setAttribute("aria-label", `Copy ${lang || ""} code`.replace("  ", " "));
      copy.addEventListener("click", () => {
        navigator.clipboard.writeText(code).then(
          () => (copy.textContent = "Copied"),
          () => (copy.textContent = "Copy failed"),
        );
      });
      bar.append(copy);
    }
    const pre = el("pre");
    const codeEl = el("code", lang ? `language-${lang.replace(/[^\w+#-]/g, "")}` : "", code);
    pre.append(codeEl);
    pre.tabIndex = 0; // long lines scroll: keyboard users must reach the scrollbar
    wrap.append(bar, pre);
    return wrap;
  }

  function splitRow(line) {
    let row = line.trim();
    if (row.startsWith("|")) row = row.slice(1);
    if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
    return row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
  }

  function table(lines) {
    const t = el("table");
    const head = t.appendChild(el("thead")).appendChild(el("tr"));
    for (const cell of splitRow(lines[0])) inline(cell, head.appendChild(el("th")));
    const body = t.appendChild(el("tbody"));
    for (const line of lines.slice(2)) {
      const tr = body.appendChild(el("tr"));
      for (const cell of splitRow(line)) inline(cell, tr.appendChild(el("td")));
    }
    const wrap = el("div", "table-wrap");
    wrap.tabIndex = 0;
    wrap.append(t);
    return wrap;
  }

  function startsBlock(line, next) {
    return (
      FENCE.test(line) ||
      HEADING.test(line) ||
      RULE.test(line) ||
      QUOTE.test(line) ||
      LIST_ITEM.test(line) ||
      (line.includes("|") && next !== undefined && TABLE_SEP.test(next) && next.includes("-"))
    );
  }

  function blocks(lines, parent) {
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) {
        i += 1;
        continue;
      }
      let m;
      if ((m = FENCE.exec(line))) {
        const fence = m[1];
        const body = [];
        i += 1;
        // An unterminated fence (a reply still streaming) runs to the end.
        while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
        i += 1;
        parent.append(codeBlock(m[2], body.join("\n")));
      } else if ((m = HEADING.exec(line))) {
        // Replies' headings sit below the page's own h1/h2.
        inline(m[2], parent.appendChild(el(`h${Math.min(6, m[1].length + 2)}`)));
        i += 1;
      } else if (RULE.test(line)) {
        parent.append(el("hr"));
        i += 1;
      } else if (QUOTE.test(line)) {
        const body = [];
        while (i < lines.length && lines[i].trim() && QUOTE.test(lines[i])) body.push(lines[i++].replace(QUOTE, ""));
        blocks(body, parent.appendChild(el("blockquote")));
      } else if ((m = LIST_ITEM.exec(line))) {
        i = list(lines, i, parent);
      } else if (line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes("-")) {
        const rows = [line, lines[i + 1]];
        i += 2;
        while (i < lines.length && lines[i].includes("|") && lines[i].trim()) rows.push(lines[i++]);
        parent.append(table(rows));
      } else {
        const para = [line];
        i += 1;
        while (i < lines.length && lines[i].trim() && !startsBlock(lines[i], lines[i + 1])) para.push(lines[i++]);
        inline(para.join("\n").trim(), parent.appendChild(el("p")));
      }
    }
    return parent;
  }

  function list(lines, start, parent) {
    const first = LIST_ITEM.exec(lines[start]);
    const ordered = /\d/.test(first[2]);
    const listEl = el(ordered ? "ol" : "ul");
    if (ordered) {
      const n = parseInt(first[2], 10);
      if (n !== 1) listEl.start = n;
    }
    let i = start;
    while (i < lines.length) {
      const m = LIST_ITEM.exec(lines[i]);
      if (!m || /\d/.test(m[2]) !== ordered) break;
      const indent = m[1].length + m[2].length + 1;
      const item = [m[3]];
      i += 1;
      // Continuation: indented lines, or blank lines followed by indented ones.
      while (i < lines.length) {
        const l = lines[i];
        if (l.trim() && /^\s{2,}/.test(l)) item.push(l.slice(Math.min(indent, l.search(/\S/))));
        else if (!l.trim() && i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1])) item.push("");
        else if (l.trim() && !startsBlock(l, lines[i + 1]) && item[item.length - 1] !== "") item.push(l.trim());
        else break;
        i += 1;
      }
      const li = listEl.appendChild(el("li"));
      const tight = !item.slice(1).some((l) => startsBlock(l) || !l.trim());
      if (tight) inline(item.join("\n"), li);
      else blocks(item, li);
      // A blank line between items keeps the list going.
      if (i + 1 < lines.length && !lines[i]?.trim() && LIST_ITEM.test(lines[i + 1])) i += 1;
    }
    parent.append(listEl);
    return i;
  }

  /** Render Markdown text into a new DocumentFragment made only of safe elements and text. */
  function render(text) {
    const fragment = document.createDocumentFragment();
    blocks(String(text).replace(/\r\n?/g, "\n").split("\n"), fragment);
    return fragment;
  }

  window.WildchatMarkdown = Object.freeze({ render, safeHref });
})();
