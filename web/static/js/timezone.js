// Which clock the console shows times in: the browser's local zone (default) or UTC, chosen
// in the top bar and kept in localStorage. Every formatted time carries the zone's label.

const KEY = "rtcc.tz";

export function tzMode() { return localStorage.getItem(KEY) === "utc" ? "utc" : "local"; }

export function setTzMode(mode) { localStorage.setItem(KEY, mode === "utc" ? "utc" : "local"); }

/** The short label of the zone in use: "UTC" or the local abbreviation ("CET", "GMT+1"). */
export function tzLabel(at = new Date()) {
  if (tzMode() === "utc") return "UTC";
  const part = new Intl.DateTimeFormat([], { timeZoneName: "short" }).formatToParts(at)
    .find((p) => p.type === "timeZoneName");
  return part ? part.value : "local";
}

export function tzOptions() { return tzMode() === "utc" ? { timeZone: "UTC" } : {}; }
