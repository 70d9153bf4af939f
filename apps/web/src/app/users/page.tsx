import type { Metadata } from "next";

import { UsersView } from "../../components/users-view";

export const metadata: Metadata = { title: "Users" };

export default function Page() {
  return (
    <div className="h-full overflow-y-auto">
      <UsersView />
    </div>
  );
}
