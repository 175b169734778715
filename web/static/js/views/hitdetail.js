// One hit in full: images, the read against the hotlist entry, history, and the actions.

import { cameraName } from "../cameranames.js";
import { ApiError, api } from "../api.js";
import { el, fmtDateTime, img, pct, plateChars, priorityBadge, toast } from "../dom.js";
import { openExport } from "./evidence.js";
import { videoLink } from "./playback.js";

export const REJECT_REASONS = [
  ["misread", "Misread (plate text is wrong)"],
  ["wrong_state", "Wrong state / region"],
  ["vehicle_mismatch", "Vehicle does not match the entry"],
  ["entry_expired", "Entry expired or cleared"],
  ["other", "Other (explain)"],
];

/** Positions that differ between the read and the entry: from the server, else computed. */
export function diffPositions(hit) {
  const out = new Set();
  if (Array.isArray(hit.diff)) {
    for (const d of hit.diff) {
      if (Number.isInteger(d)) out.add(d);
      else if (d && typeof d === "object") {
        const p = d.pos ?? d.position ?? d.index ?? d.i;
        if (Number.isInteger(p)) out.add(p);
      } else if (Array.isArray(d) && Number.isInteger(d[0])) out.add(d[0]);
    }
  }
  if (!out.size && hit.plate && hit.entry_plate && hit.plate !== hit.entry_plate) {
    const a = hit.plate, b = hit.entry_plate;
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.add(i);
  }
  return out;
}

/** The entry as it was when the hit was raised (copied onto the hit), never as edited since. */
function entryOf(hit) {
  const e = hit.entry || {};
  const kept = (name, live) => (name in hit ? hit[name] : e[live]);
  return {
    plate: kept("entry_plate", "plate"),
    state: kept("entry_state", "state"),
    reason: kept("reason", "reason"),
    case_number: kept("case_number", "case_number"),
    description: kept("description", "description"),
    expires_at: kept("entry_expires_at", "expires_at"),
    added_by: e.added_by,
    list: hit.list?.name ?? hit.hotlist,
    kind: hit.list?.kind ?? hit.hotlist_kind,
  };
}

function field(label, value, testid) {
  return [el("dt", {}, label), el("dd", { "data-testid": testid }, value ?? "—")];
}

function statusLine(hit) {
  const who = hit.status_by ? ` by ${hit.status_by}` : "";
  const when = hit.status_at ? ` at ${fmtDateTime(hit.status_at)}` : "";
  const why = hit.status === "rejected" && hit.reject_reason ? ` — ${hit.reject_reason}${hit.reject_text ? `: ${hit.reject_text}` : ""}` : "";
  return el("div", { class: `status-line st-${hit.status}`, "data-testid": "hit-status" },
    `${hit.status.toUpperCase()}${who}${when}${why}`);
}

function history(hit) {
  const events = hit.events || hit.history || [];
  if (!events.length) return el("p", { class: "muted" }, "No actions or notes yet.");
  return el("ol", { class: "timeline" }, events.map((e) =>
    el("li", {}, el("span", { class: "t" }, fmtDateTime(e.at)), " ",
      el("strong", {}, e.username || "system"), " ", e.action,
      (e.to ?? e.to_status) ? ` → ${e.to ?? e.to_status}` : "", e.note ? el("div", { class: "note" }, e.note) : "")));
}

export function renderDetail(hit, { act, canAct, canExport = false, canVideo = false }) {
  const diffs = diffPositions(hit);
  const e = entryOf(hit);
  const open = hit.status === "new" || hit.status === "acknowledged";
  const actions = canAct ? el("div", { class: "actions" },
    el("button", { class: "btn", "data-action": "acknowledge", disabled: hit.status !== "new", onclick: () => act("acknowledge") },
      el("kbd", {}, "A"), " Acknowledge"),
    el("button", { class: "btn btn-ok", "data-action": "confirm", disabled: !open, onclick: () => act("confirm") },
      el("kbd", {}, "C"), " Confirm"),
    el("button", { class: "btn btn-danger", "data-action": "reject", disabled: !open, onclick: () => act("reject") },
      el("kbd", {}, "R"), " Reject…"),
    el("button", { class: "btn btn-ghost", "data-action": "note", onclick: () => act("note") }, el("kbd", {}, "N"), " Note"),
  ) : el("p", { class: "muted" }, "Your role can view hits but not act on them.");
  const exporter = canExport ? el("div", { class: "actions" },
    // Enabled once the full detail (with the entry's case number) is here, not from the list row.
    el("button", { class: "btn", "data-action": "export-evidence", "data-testid": "export-evidence",
      disabled: hit.history === undefined,
      onclick: () => openExport({ hit_id: hit.id, plate: hit.plate, case_number: e.case_number || "" }) },
    "Export evidence…")) : "";

  return el("article", { class: "hit-detail", "data-hit-id": hit.id, "data-testid": "hit-detail" },
    el("header", { class: "hd-head" },
      priorityBadge(hit.priority),
      el("span", { class: `badge match-${hit.match_type}` }, `${(hit.match_type || "exact").toUpperCase()} MATCH`),
      hit.needs_confirmation ? el("span", { class: "badge needs-confirm" }, "⚠ NEEDS VISUAL CONFIRMATION") : "",
      hit.historical ? el("span", { class: "badge" }, "HISTORICAL") : "",
      statusLine(hit)),
    el("div", { class: "hd-compare" },
      el("div", { class: "cmp" }, el("div", { class: "cmp-label" }, "READ"),
        plateChars(hit.plate, diffs, "plate-xl"), el("div", { class: "muted" }, `confidence ${pct(hit.confidence)}`)),
      el("div", { class: "cmp-vs", "aria-hidden": "true" }, diffs.size ? "≈" : "="),
      el("div", { class: "cmp" }, el("div", { class: "cmp-label" }, "HOTLIST ENTRY"),
        plateChars(e.plate, diffs, "plate-xl"),
        el("div", { class: "muted" }, diffs.size ? `${diffs.size} character(s) differ (underlined)` : "identical"))),
    el("div", { class: "hd-images" },
      el("figure", { class: "crop" }, img(hit.crop_url, `plate crop ${hit.plate}`, "crop-img"), el("figcaption", {}, "Plate crop")),
      el("figure", { class: "snap" },
        hit.snapshot_url ? el("a", { href: hit.snapshot_url, target: "_blank", rel: "noopener" }, img(hit.snapshot_url, `snapshot of ${hit.plate}`, "snap-img")) : img(null),
        el("figcaption", {}, `Snapshot · ${hit.camera_name || cameraName(hit.camera_id)} · ${fmtDateTime(hit.observed_at)} `,
          canVideo ? videoLink(hit.camera_id, hit.observed_at, { hitId: hit.id }) : ""))),
    el("dl", { class: "facts" },
      field("Hotlist", e.kind ? `${e.list} (${e.kind.replaceAll("_", " ")})` : e.list), field("Reason", e.reason), field("Case number", e.case_number, "entry-case"),
      field("Vehicle", e.description), field("Entry state", e.state), field("Expires", e.expires_at ? fmtDateTime(e.expires_at) : "never"),
      field("Camera", hit.camera_name || cameraName(hit.camera_id)), field("Seen", `${fmtDateTime(hit.observed_at)}${hit.occurrences > 1 ? ` (${hit.occurrences}×, last ${fmtDateTime(hit.last_seen_at)})` : ""}`)),
    hit.confirm_requested_by ? el("p", { class: "needs-confirm", "data-testid": "awaiting-second" },
      `Confirmed once by ${hit.confirm_requested_by}: this list needs a second user to confirm.`) : "",
    actions,
    exporter,
    sightingsList(hit),
    el("section", { class: "hd-history" }, el("h3", {}, "History and notes"), history(hit)));
}

/**
 * The confirm dialog's body: the plate crop beside the entry it is compared with, and a visual
 * check that is never pre-ticked and can only be ticked once the crop has loaded (both on
 * screen). The submit button stays disabled until it is ticked; Ctrl+Enter is refused too.
 */
function confirmBody(dlg, hit, text) {
  const e = entryOf(hit);
  const check = el("input", { type: "checkbox", name: "visual", disabled: true, "data-testid": "visual-check" });
  const why = el("span", { class: "muted", "data-testid": "visual-check-why" }, hit.crop_url ? " (the plate image is loading…)" : " (no plate image: this hit cannot be confirmed visually)");
  const crop = hit.crop_url ? el("img", { src: hit.crop_url, alt: `plate crop ${hit.plate}`, class: "crop-img", "data-testid": "confirm-crop" }) : img(null);
  const second = hit.confirm_requested_by
    ? el("p", { class: "needs-confirm", "data-testid": "second-confirm" }, `First confirmed by ${hit.confirm_requested_by}: yours completes it.`) : "";
  text.placeholder = "Optional note";
  dlg.armConfirm = () => {
    const submit = dlg.querySelector("[data-testid=dlg-submit]");
    submit.disabled = true;
    check.addEventListener("change", () => { submit.disabled = !check.checked; });
    const ready = () => {
      if (!crop.naturalWidth) return;
      check.disabled = false;
      why.textContent = "";
      if (document.activeElement !== text) check.focus();
    };
    if (crop.tagName === "IMG") { if (crop.complete) ready(); else crop.addEventListener("load", ready, { once: true }); }
  };
  dlg.onsubmit = () => {
    if (!check.checked) { toast("Tick the box once you have compared the image with the entry", "error"); return undefined; }
    return { visual_check: true, text: text.value.trim() || undefined };
  };
  return [
    el("p", {}, "Confirm hit ", el("strong", { class: "plate" }, hit.plate), " on ", hit.hotlist || "the hotlist", "?"),
    el("div", { class: "confirm-compare" },
      el("figure", { class: "crop" }, crop, el("figcaption", {}, "Plate crop (as read)")),
      el("dl", { class: "facts", "data-testid": "confirm-entry" },
        field("Entry plate", e.plate), field("List", e.list), field("Reason", e.reason),
        field("Case number", e.case_number), field("Entry state", e.state), field("Vehicle", e.description))),
    second,
    el("label", { class: "check" }, check, " I compared the plate image with the hotlist entry", why),
    text,
  ];
}

/** Later passes of the car, each with its own read and images (the first read never changes). */
function sightingsList(hit) {
  const list = hit.sightings || [];
  if (!list.length) return "";
  return el("section", { class: "hd-sightings", "data-testid": "sightings" },
    el("h3", {}, `Seen again (${list.length})`),
    el("ol", { class: "timeline" }, list.map((s) => el("li", { "data-read-id": s.read_id ?? "" },
      el("span", { class: "t" }, fmtDateTime(s.observed_at)), " ", cameraName(s.camera_id), " · ", s.plate,
      ` · ${pct(s.confidence)}`, " ",
      s.crop_url ? el("a", { href: s.crop_url, target: "_blank", rel: "noopener" }, "crop") : "", " ",
      s.snapshot_url ? el("a", { href: s.snapshot_url, target: "_blank", rel: "noopener" }, "snapshot") : ""))));
}

/** Small modal dialogs for confirm / reject / note; resolves with the body to send or null. */
export function askAction(kind, hit) {
  return new Promise((resolve) => {
    const dlg = el("dialog", { class: "dlg", "data-testid": `dlg-${kind}` });
    const close = (value) => { dlg.close(); dlg.remove(); resolve(value); };
    const text = el("textarea", { rows: 3, name: "text", placeholder: kind === "note" ? "Note for the record" : "Details (required for Other)" });
    let body;
    if (kind === "confirm") {
      body = confirmBody(dlg, hit, text);
    } else if (kind === "reject") {
      const radios = REJECT_REASONS.map(([value, label], i) =>
        el("label", { class: "radio" }, el("input", { type: "radio", name: "reason", value, checked: i === 0 }), ` ${i + 1}. ${label}`));
      body = [el("p", {}, "Reject hit ", el("strong", { class: "plate" }, hit.plate), " — why?"), el("div", { class: "radios" }, radios), text];
      dlg.onsubmit = () => {
        const reason = dlg.querySelector("input[name=reason]:checked").value;
        if (reason === "other" && !text.value.trim()) { toast("Explain the reason for Other", "error"); return undefined; }
        return { reason, text: text.value.trim() || undefined };
      };
      dlg.addEventListener("keydown", (ev) => {
        const n = Number(ev.key);
        if (ev.target === text || !(n >= 1 && n <= REJECT_REASONS.length)) return;
        dlg.querySelectorAll("input[name=reason]")[n - 1].checked = true;
      });
    } else {
      body = [el("p", {}, "Add a note to hit ", el("strong", { class: "plate" }, hit.plate)), text];
      dlg.onsubmit = () => (text.value.trim() ? { text: text.value.trim() } : undefined);
    }
    const form = el("form", { method: "dialog" }, body,
      el("div", { class: "dlg-actions" },
        el("button", { type: "button", class: "btn", onclick: () => close(null) }, "Cancel (Esc)"),
        el("button", { type: "submit", class: `btn ${kind === "reject" ? "btn-danger" : "btn-primary"}`, "data-testid": "dlg-submit" },
          { confirm: "Confirm hit", reject: "Reject hit", note: "Add note" }[kind], " (Ctrl+Enter)")));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const value = dlg.onsubmit();
      if (value !== undefined) close(value);
    });
    form.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) form.requestSubmit(); });
    dlg.addEventListener("cancel", (ev) => { ev.preventDefault(); close(null); });
    dlg.append(form);
    document.body.append(dlg);
    dlg.showModal();
    if (kind === "confirm") dlg.armConfirm();
    (kind === "confirm" ? dlg.querySelector("[data-testid=visual-check]:not([disabled])") || dlg.querySelector("button[type=button]")
      : kind === "reject" ? dlg.querySelector("input[name=reason]") : text).focus();
  });
}

/** POST the transition; the server's answer (or the hit_updated event) updates the store. */
export async function sendAction(kind, hit, body, { quiet = false } = {}) {
  const path = kind === "note" ? `/api/hits/${hit.id}/notes` : `/api/hits/${hit.id}/${kind}`;
  try {
    const res = await api.post(path, body || {});
    if (!quiet) toast(kind === "note" ? "Note added" : `Hit ${hit.plate}: ${kind}ed`.replace("eed", "ed"), "ok");
    return res;
  } catch (err) {
    toast(err instanceof ApiError ? `Could not ${kind}: ${err.message}` : String(err), "error");
    return null;
  }
}
