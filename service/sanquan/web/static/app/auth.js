// The reader's bearer token, kept in this tab's sessionStorage: never in a cookie (so a page
// of another site cannot make the browser send it: no CSRF), gone when the tab closes.

const TOKEN = "sanquan.token";
const SINCE = "sanquan.signedInAt";

export function token() {
  return sessionStorage.getItem(TOKEN);
}

/** When this tab signed in, as an ISO instant. */
export function signedInAt() {
  return sessionStorage.getItem(SINCE);
}

export function keep(value) {
  sessionStorage.setItem(TOKEN, value);
  sessionStorage.setItem(SINCE, new Date().toISOString());
}

export function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(SINCE);
}

/** The token in what was pasted: blanks and a leading "Bearer " taken away. */
export function fromInput(text) {
  return text.trim().replace(/^Bearer\s+/i, "").trim();
}
