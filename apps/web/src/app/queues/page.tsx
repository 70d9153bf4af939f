import type { Metadata } from "next";

import { QueuesView } from "../../components/queues-view";

export const metadata: Metadata = { title: "Queues" };

export default function Page() {
  return (
    <div className="h-full overflow-y-auto">
      <QueuesView />
    </div>
  );
}
