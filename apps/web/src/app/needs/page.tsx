import type { Metadata } from "next";

import { NeedsPage } from "../../components/needs/needs-page";

export const metadata: Metadata = { title: "Needs you" };

export default function Page() {
  return (
    <div className="h-full overflow-y-auto">
      <NeedsPage />
    </div>
  );
}
