/**
 * People management in the browser (a town of its own: adding the first user ends open access): an admin adds users,
 * changes a role, removes one, creates a token whose secret is shown once and revokes it — all in the audit log, in
 * plain words. A viewer's board hides what a viewer cannot do.
 */
import type { Page } from "@playwright/test";

import { createTask } from "@tinytown/core";
import { audit } from "./axe";
import { expect, test, uniq } from "./fixtures";
import { OwnStack } from "./stack";

test.describe.configure({ mode: "serial" });

const PW = "e2e-password-1";
let stack: OwnStack;
test.beforeAll(async () => {
  stack = await new OwnStack().start(uniq("users"));
});
test.afterAll(async () => {
  await stack.stop();
});

async function signIn(page: Page, name: string): Promise<void> {
  await page.goto(`${stack.base}/login`);
  expect(await audit(page, "login")).toEqual([]);
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(PW);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in")).toContainText(name);
}

async function addUser(page: Page, name: string, role: string): Promise<void> {
  const form = page.getByTestId("add-user");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Role").selectOption(role);
  await form.getByLabel("Password (8+ characters)").fill(PW);
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByTestId(`user-${name}`)).toBeVisible();
}

test("an admin manages users and tokens from the browser; every change is audited in plain words", async ({ page }) => {
  page.on("dialog", (d) => void d.accept());
  // Open access (no users yet, on loopback): the first admin is added from the page itself.
  await page.goto(`${stack.base}/users`);
  await expect(page.getByRole("heading", { level: 1, name: "Users and tokens" })).toBeVisible();
  const form = page.getByTestId("add-user");
  await form.getByLabel("Name").fill("ada");
  await form.getByLabel("Role").selectOption("admin");
  await form.getByLabel("Password (8+ characters)").fill(PW);
  await form.getByRole("button", { name: "Add user" }).click();
  // Open access has ended with that: the page sends this browser to sign in.
  await expect(page).toHaveURL(/\/login\?next=%2Fusers/);

  // Now everyone signs in.
  await signIn(page, "ada");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await addUser(page, "bob", "operator");
  await addUser(page, "vic", "viewer");
  await page.getByLabel("Role of bob").selectOption("admin");
  await expect(page.getByLabel("Role of bob")).toHaveValue("admin");

  const tokenForm = page.getByTestId("create-token");
  await tokenForm.getByLabel("Token name").fill("ci-bot");
  await tokenForm.getByRole("button", { name: "Create token" }).click();
  const secret = (await page.getByTestId("token-value").textContent())!.trim();
  expect(secret).toMatch(/^tt_/);
  const asToken = () =>
    fetch(`${stack.base}/api/trpc/town.status`, { headers: { authorization: `Bearer ${secret}` } }).then(
      (r) => r.status,
    );
  expect(await asToken()).toBe(200);
  await page.getByRole("button", { name: "Done, hide it" }).click();
  await page.reload();
  // Shown once: never again, not in the list either.
  await expect(page.getByTestId("token-ci-bot")).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  await page.getByTestId("token-ci-bot").getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("token-ci-bot")).toHaveCount(0);
  expect(await asToken()).toBe(401);
  await page.getByTestId("user-bob").getByRole("button", { name: "Remove" }).click();
  await expect(page.getByTestId("user-bob")).toHaveCount(0);

  await page.goto(`${stack.base}/audit`);
  const audit = page.getByTestId("audit");
  for (const words of [
    "alice added ada as admin",
    "ada added bob as operator",
    "ada made bob an admin",
    "ada created the token ci-bot (operator)",
    "ada revoked the token ci-bot",
    "ada removed bob",
  ])
    await expect(audit.getByText(words)).toBeVisible();
});

test("a viewer's board hides what a viewer cannot do, and the users page says it is for admins", async ({ page }) => {
  const task = await createTask(stack.town!, { description: `Viewer sees ${uniq("t")}`, by: "cli" });
  await signIn(page, "vic");
  await page.goto(stack.base);
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-status", "live");
  const card = page.getByTestId(`card-${task.id}`);
  await expect(card).toBeVisible();
  await expect(card).toHaveAttribute("aria-roledescription", "task");
  await expect(page.getByTestId(`card-menu-${task.id}`)).toHaveCount(0);
  await expect(page.getByTestId("create-open")).toHaveCount(0);
  await expect(page.getByTestId("spawn-open")).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toHaveCount(0);
  // The shortcuts do nothing either.
  await page.keyboard.press("c");
  await expect(page.getByTestId("create-dialog")).toHaveCount(0);
  await page.goto(`${stack.base}/tasks/${task.id}`);
  await expect(page.getByTestId("task-page")).toBeVisible();
  await expect(page.getByTestId("task-move")).toHaveCount(0);
  await page.goto(`${stack.base}/users`);
  await expect(page.getByText("Only an admin manages users and tokens.")).toBeVisible();
  expect(await audit(page, "users as a viewer")).toEqual([]);
});
