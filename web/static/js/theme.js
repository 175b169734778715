// Light or dark: follows the browser's preference (prefers-color-scheme) until the person
// picks one with the switch; the choice is kept in localStorage.

const KEY = "rtcc.theme";
const query = window.matchMedia("(prefers-color-scheme: light)");

export function chosenTheme() { return localStorage.getItem(KEY); } // "light" | "dark" | null

export function currentTheme() { return chosenTheme() || (query.matches ? "light" : "dark"); }

export function applyTheme() {
  document.documentElement.dataset.theme = currentTheme();
  const b = document.getElementById("theme");
  if (b) {
    const t = currentTheme();
    b.textContent = t === "light" ? "☀ Light" : "☾ Dark";
    b.title = `Theme: ${t}${chosenTheme() ? " (chosen)" : " (browser preference)"} — click to switch`;
    b.setAttribute("aria-pressed", String(t === "light"));
  }
}

export function toggleTheme() {
  localStorage.setItem(KEY, currentTheme() === "light" ? "dark" : "light");
  applyTheme();
}

export function installTheme() {
  query.addEventListener("change", applyTheme);
  const b = document.getElementById("theme");
  if (b) b.addEventListener("click", toggleTheme);
  applyTheme();
}
