// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with the helpers the
// suites share: phone-sized pages, screenshots kept as artifacts, and axe-core checks.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const artifacts = path.resolve(__dirname, "..", "artifacts");
/** The phone the pages are designed for first. */
const PHONE = { width: 390, height: 844 };

function launch() {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A fresh context (own sessionStorage) with one page at 390 px; page errors fail the test. */
async function phonePage(browser, options = {}) {
  const context = await browser.newContext({ viewport: PHONE, locale: "id-ID", ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error));
  return page;
}

/**
 * A full-page screenshot in tests/browser/artifacts/, kept for people to look at. Fails when
 * the page is wider than the window: on a phone that means sideways scrolling.
 */
async function screenshot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) throw new Error(`${name}: the page is ${overflow} px wider than the window (see ${file})`);
  return file;
}

const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's violations of impact serious or critical on the page as it is now. */
async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"] }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

/** Visible form fields without a visible label of their own (DESIGN.md: every input has one). */
async function unlabelledFields(page) {
  return page.evaluate(() => {
    const shown = (el) => el.checkVisibility() && el.getClientRects().length > 0;
    return Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
      .filter(shown)
      .filter((field) => !Array.from(field.labels || []).some((label) => shown(label) && label.innerText.trim() !== ""))
      .map((field) => field.outerHTML.slice(0, 120));
  });
}

/**
 * What every page visited must pass: no serious or critical axe-core violation, a visible label
 * on every field, no sideways scrolling at 390 px; and a screenshot kept as `name`.png.
 */
async function checkPage(page, name) {
  const violations = await seriousViolations(page);
  if (violations.length) throw new Error(`${name}: axe-core:\n${violations.join("\n")}`);
  const unlabelled = await unlabelledFields(page);
  if (unlabelled.length) throw new Error(`${name}: fields without a visible label:\n${unlabelled.join("\n")}`);
  return screenshot(page, name);
}

module.exports = { launch, phonePage, screenshot, checkPage, seriousViolations, unlabelledFields, artifacts, PHONE };
