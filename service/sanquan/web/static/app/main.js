// The dashboard: sign-in, the navigation, and the page the address names (`#/<page>/…`).

import { query, read } from "./api.js";
import * as auth from "./auth.js";
import { notice } from "./dom.js";
import { language, onLanguage, setLanguage, t, translate } from "./i18n.js";
import { pages } from "./pages/index.js";

const VIEWER = "query Viewer { viewer { id name role institution { code name } unit { id name } } }";

const $ = (selector) => document.querySelector(selector);

let viewer = null;
let leave = null; // the shown page's clean-up

/** Show the sign-in form, with `message` (an error, or a farewell) if any. */
function showSignIn(message = null, kind = "error") {
  viewer = null;
  leavePage();
  $("#nav").replaceChildren();
  $("#signed-in").hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-message").replaceChildren(message ? notice(message, kind) : "");
  $("#token").focus();
}

/** A refused token (expired, revoked) or none: back to the form. */
function signedOut(message) {
  auth.forget();
  showSignIn(message);
}

async function signIn(event) {
  event.preventDefault();
  const token = auth.fromInput($("#token").value);
  if (!token) {
    showSignIn(t("signIn.empty"));
    return;
  }
  $("#sign-in-message").replaceChildren(notice(t("signIn.checking")));
  try {
    const data = await query(VIEWER, {}, { token });
    auth.keep(token);
    $("#token").value = "";
    enter(data.viewer);
  } catch (error) {
    showSignIn(error.kind === "unauthenticated" ? t("signIn.refused") : error.message);
  }
}

function signOut(event) {
  event.preventDefault();
  auth.forget();
  window.location.hash = "";
  showSignIn(t("signOut.done"), "info");
}

function enter(who) {
  viewer = who;
  $("#sign-in").hidden = true;
  $("#signed-in").hidden = false;
  $("#viewer-name").textContent = viewer.name;
  $("#viewer-role").textContent = t(`role.${viewer.role}`);
  showNavigation();
  showPage();
}

function route() {
  const [id = "", ...params] = window.location.hash.replace(/^#\/?/, "").split("/");
  return { id, params: params.map(decodeURIComponent) };
}

function showNavigation() {
  if (!viewer) return;
  const { id } = route();
  $("#nav").replaceChildren(
    ...pages.map((page) => {
      const link = document.createElement("a");
      link.href = `#/${page.id}`;
      link.textContent = t(page.title);
      if (page.id === id) link.setAttribute("aria-current", "page");
      return link;
    }),
  );
}

function leavePage() {
  if (leave) leave();
  leave = null;
  $("#page").replaceChildren();
}

async function showPage() {
  if (!viewer) return;
  leavePage();
  const { id, params } = route();
  const page = pages.find((candidate) => candidate.id === id);
  const view = document.createElement("section");
  view.dataset.page = id;
  $("#page").replaceChildren(view);
  document.title = `${page ? t(page.title) : t("error.notFound")} · ${t("app.title")}`;
  if (!page) {
    view.append(notice(t("error.notFound"), "error"));
    return;
  }
  view.setAttribute("aria-busy", "true");
  try {
    const cleanUp = await page.render(view, { query, read, params, viewer, pages });
    if (view.isConnected) leave = cleanUp ?? null;
    else if (cleanUp) cleanUp(); // the reader moved on while it loaded
  } catch (error) {
    if (error.kind === "unauthenticated") signedOut(t("signIn.expired"));
    else view.replaceChildren(notice(t("error.failed", { message: error.message }), "error"));
  } finally {
    view.removeAttribute("aria-busy");
  }
}

async function start() {
  translate(document);
  $("#language").textContent = t("language.other");
  $("#language").addEventListener("click", () => setLanguage(language() === "zh" ? "en" : "zh"));
  onLanguage(() => {
    translate(document);
    $("#language").textContent = t("language.other");
    if (viewer) enter(viewer);
  });
  $("#sign-in-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  window.addEventListener("hashchange", () => {
    showNavigation();
    showPage();
  });
  if (!auth.token()) {
    showSignIn();
    return;
  }
  try {
    const data = await query(VIEWER);
    enter(data.viewer);
  } catch (error) {
    if (error.kind === "unauthenticated") signedOut(t("signIn.expired"));
    else showSignIn(error.message);
  }
}

start();
