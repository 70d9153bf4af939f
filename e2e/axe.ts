/** axe-core over a page: the violations this project does not accept, one line each (empty when there are none). */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";

/** Rules of moderate impact that still matter here: one <main>, one h1, one banner, everything in a landmark. */
const ALSO_REQUIRED = ["landmark-one-main", "page-has-heading-one", "landmark-no-duplicate-banner", "region"];

export async function audit(page: Page, what: string): Promise<string[]> {
  // Colours read mid-transition (just after switching to dark, a button half-way from its light colours) are neither
  // theme's: let running transitions and animations finish first (infinite ones, like a pulse, are left running).
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const result = await new AxeBuilder({ page })
    // Experimental in axe, and one the issue found broken (card labels that omit the visible id).
    .options({ rules: { "label-content-name-mismatch": { enabled: true } } })
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical" || ALSO_REQUIRED.includes(v.id))
    .map(
      (v) =>
        `${what}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes
          .slice(0, 3)
          .map((n) => `${n.target.join(" ")}${v.id === "color-contrast" ? ` [${n.any[0]?.message ?? ""}]` : ""}`)
          .join(" | ")}`,
    );
}
