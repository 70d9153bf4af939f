import type { Metadata } from "next";

import { AuditView } from "../../components/audit-view";

export const metadata: Metadata = { title: "Audit" };

export default function Page() {
  return (
    <div className="h-full overflow-y-auto">
      <AuditView />
    </div>
  );
}
