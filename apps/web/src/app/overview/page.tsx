import type { Metadata } from "next";

import { Overview } from "../../components/overview";

export const metadata: Metadata = { title: "Overview" };

export default function Page() {
  return (
    <div className="h-full overflow-y-auto">
      <Overview />
    </div>
  );
}
