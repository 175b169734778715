// Toasts: one per message (a repeat bumps a counter instead of stacking a copy), shown above
// any modal dialog (the host moves into an open modal, and is a manual popover raised on every
// toast so it also sits above everything else in the top layer).

const shown = new Map(); // `${kind}|${message}` -> { node, timer, count }

function host() {
  let h = document.getElementById("toasts");
  if (!h) return null;
  if (!h.hasAttribute("popover") && "showPopover" in h) h.setAttribute("popover", "manual");
  return h;
}

/** Inside the topmost modal dialog while one is open: what is outside a modal is inert and
 * drawn below it. Back to the body when that dialog closes. */
function follow(h) {
  const modal = [...document.querySelectorAll("dialog[open]")].filter((d) => d.matches(":modal")).pop();
  const target = modal || document.body;
  if (h.parentElement === target) return;
  target.append(h);
  if (modal) modal.addEventListener("close", () => { document.body.append(h); raise(h); }, { once: true });
}

function raise(h) {
  if (!("showPopover" in h) || !h.isConnected) return;
  try {
    if (h.matches(":popover-open")) h.hidePopover();
    h.showPopover(); // the newest top-layer element: above an open <dialog>
  } catch { /* not connected yet */ }
}

export function toast(message, kind = "info") {
  const h = host();
  if (!h) return;
  const key = `${kind}|${message}`;
  const ttl = kind === "error" ? 8000 : 4000;
  let t = shown.get(key);
  if (t) {
    t.count += 1;
    t.node.dataset.count = String(t.count);
    t.badge.textContent = `×${t.count}`;
    t.badge.hidden = false;
    clearTimeout(t.timer);
  } else {
    const node = document.createElement("div");
    node.className = `toast toast-${kind}`;
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    node.append(document.createTextNode(String(message)));
    const badge = document.createElement("span");
    badge.className = "toast-count";
    badge.hidden = true;
    node.append(" ", badge);
    t = { node, badge, count: 1, timer: null };
    shown.set(key, t);
    h.append(node);
  }
  follow(h);
  const entry = t;
  entry.timer = setTimeout(() => {
    entry.node.remove();
    shown.delete(key);
    if (!h.children.length && "hidePopover" in h && h.matches(":popover-open")) h.hidePopover();
  }, ttl);
  raise(h);
}
