"""Atlassian Document Format (Jira Cloud's rich text in REST API v3) to markdown.

Covers the nodes issue descriptions and comments use: paragraphs, headings, lists, code blocks, quotes,
panels, tables, rules and the inline nodes (text with marks, hard breaks, mentions, emoji, dates, cards).
Media nodes are left out: the files they show are the issue's attachments, downloaded on their own.
"""

from __future__ import annotations

from typing import Any

BLOCK_JOIN = "\n\n"


def adf_to_markdown(doc: Any) -> str:
    """Markdown for an ADF document; a plain string (API v2 or a text field) comes back as it is."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc.strip()
    return blocks(doc.get("content") or []).strip()


def blocks(nodes: list[dict[str, Any]], indent: str = "") -> str:
    return BLOCK_JOIN.join(text for text in (block(n, indent) for n in nodes) if text.strip())


def block(node: dict[str, Any], indent: str) -> str:
    kind = node.get("type")
    content = node.get("content") or []
    if kind == "paragraph":
        return indent + inline(content)
    if kind == "heading":
        level = int((node.get("attrs") or {}).get("level", 2))
        return f"{indent}{'#' * min(max(level, 1), 6)} {inline(content)}"
    if kind in ("bulletList", "orderedList"):
        return list_block(kind, content, indent)
    if kind == "codeBlock":
        language = (node.get("attrs") or {}).get("language") or ""
        return f"{indent}```{language}\n{inline(content)}\n{indent}```"
    if kind in ("blockquote", "panel"):
        return "\n".join(f"{indent}> {line}" for line in blocks(content).splitlines())
    if kind == "rule":
        return f"{indent}---"
    if kind == "table":
        return "\n".join(indent + table_row(row) for row in content)
    if kind in ("mediaSingle", "mediaGroup", "media"):
        return ""
    return blocks(content, indent) if content else indent + inline([node])


def list_block(kind: str, items: list[dict[str, Any]], indent: str) -> str:
    lines = []
    for n, item in enumerate(items, start=1):
        bullet = f"{n}." if kind == "orderedList" else "-"
        text = blocks(item.get("content") or [], indent + "  ").strip()
        lines.append(f"{indent}{bullet} {text}")
    return "\n".join(lines)


def table_row(row: dict[str, Any]) -> str:
    cells = [blocks(cell.get("content") or []).replace("\n", " ") for cell in row.get("content") or []]
    return "| " + " | ".join(cells) + " |"


def inline(nodes: list[dict[str, Any]]) -> str:
    return "".join(inline_node(n) for n in nodes)


def inline_node(node: dict[str, Any]) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return marked(str(node.get("text") or ""), node.get("marks") or [])
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return str(attrs.get("text") or "@someone")
    if kind == "emoji":
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind in ("inlineCard", "blockCard"):
        return str(attrs.get("url") or "")
    if kind == "date":
        return str(attrs.get("timestamp") or "")
    if kind == "status":
        return str(attrs.get("text") or "")
    return inline(node.get("content") or [])


def marked(text: str, marks: list[dict[str, Any]]) -> str:
    for mark in marks:
        kind = mark.get("type")
        if kind == "code":
            text = f"`{text}`"
        elif kind == "strong":
            text = f"**{text}**"
        elif kind == "em":
            text = f"*{text}*"
        elif kind == "link":
            href = (mark.get("attrs") or {}).get("href")
            text = f"[{text}]({href})" if href and href != text else text
    return text
