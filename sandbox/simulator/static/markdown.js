// A tiny, safe markdown renderer for card `detail`: headings, paragraphs, bullet and numbered
// lists (one level of nesting), GFM tables, **bold**, *italic*, `code`, [links](https://...) and
// backslash escapes. Everything else is text. All input is HTML-escaped first (existing entities like &lt; are kept, as GFM does), and
// links are allowed only to http(s) and mailto, so card text can never inject markup or script.

const ESCAPABLE = /\\([!-/:-@[-`{-~])/g;
const SAFE_URL = /^(https?:\/\/|mailto:)/i;

function escapeHtml(text) {
  return text
    .replace(/&(?!#\d{1,7};|#x[0-9a-f]{1,6};|[a-z][a-z0-9]{1,31};)/gi, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function emphasis(html) {
  return html
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*\w])\*([^*\s][^*]*?)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^_\w])_([^_\s][^_]*?)_(?!\w)/g, '$1<em>$2</em>');
}

// Backslash-escaped punctuation becomes a numeric entity, so no later pattern can match it.
// Code spans and links are set aside as placeholders so emphasis never reaches into them.
function inline(raw) {
  const kept = [];
  const keep = (html) => `\u0000${kept.push(html) - 1}\u0000`;
  let html = escapeHtml(raw.replace(/\u0000/g, '').replace(ESCAPABLE, (_, ch) => `&#${ch.charCodeAt(0)};`));
  html = html.replace(/`([^`]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, url) => {
    if (!SAFE_URL.test(url)) return label;
    return keep(`<a href="${url}" target="_blank" rel="noopener noreferrer">${emphasis(label)}</a>`);
  });
  return emphasis(html).replace(/\u0000(\d+)\u0000/g, (_, i) => kept[Number(i)]);
}

// Table cells are split on unescaped pipes; `\|` stays text inside a cell.
function cells(row) {
  const trimmed = row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

const TABLE_DELIMITER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function renderTable(rows) {
  const [header, , ...body] = rows.map(cells);
  const head = `<thead><tr>${header.map((c) => `<th scope="col">${inline(c)}</th>`).join('')}</tr></thead>`;
  const tbody = body
    .map((row) => `<tr>${header.map((_, i) => `<td>${inline(row[i] ?? '')}</td>`).join('')}</tr>`)
    .join('');
  return `<table>${head}<tbody>${tbody}</tbody></table>`;
}

export function renderMarkdown(source) {
  const out = [];
  let paragraph = [];
  let list = null; // { tag: 'ul' | 'ol', items: [{ text, children: [] }] }
  let table = null; // the raw lines of a GFM table

  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
  };
  const item = (i) => {
    const nested = i.children.length ? `<ul>${i.children.map((c) => `<li>${inline(c)}</li>`).join('')}</ul>` : '';
    return `<li>${inline(i.text)}${nested}</li>`;
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map(item).join('')}</${list.tag}>`);
    list = null;
  };
  const flushTable = () => {
    if (table) out.push(renderTable(table));
    table = null;
  };

  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  for (const [index, line] of lines.entries()) {
    const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    const bullet = line.match(/^(\s*)[-*+]\s+(.*)$/);
    const numbered = line.match(/^(\s*)\d{1,9}[.)]\s+(.*)$/);
    const startsTable = /^\s*\|/.test(line) && TABLE_DELIMITER.test(lines[index + 1] ?? '');
    if (table && /^\s*\|/.test(line)) {
      table.push(line);
      continue;
    }
    flushTable();
    if (!line.trim()) {
      flushParagraph();
      flushList();
    } else if (startsTable) {
      flushParagraph();
      flushList();
      table = [line];
    } else if (list && bullet && bullet[1].length >= 2 && list.items.length) {
      list.items[list.items.length - 1].children.push(bullet[2]); // one level of nesting
    } else if (heading) {
      flushParagraph();
      flushList();
      const level = Math.min(heading[1].length + 2, 6); // card headings sit under the card title
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      list = list ?? { tag, items: [] };
      list.items.push({ text: (bullet ?? numbered)[2], children: [] });
    } else if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1].text += ` ${line.trim()}`; // continuation of a list item
    } else {
      flushList();
      paragraph.push(line.trim());
    }
  }
  flushTable();
  flushParagraph();
  flushList();
  return out.join('\n');
}
