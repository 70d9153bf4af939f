import type { Metadata } from "next";

import { MessagesPage } from "../../components/messages-page";

export const metadata: Metadata = { title: "Messages" };

export default function Page() {
  return (
    <div className="h-full overflow-y-auto">
      <MessagesPage />
    </div>
  );
}
