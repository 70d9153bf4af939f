import type { Metadata } from "next";

import { TaskDetail } from "../../../components/task-detail";

export async function generateMetadata(props: { params: Promise<{ id: string }> }): Promise<Metadata> {
  return { title: `Task ${(await props.params).id.slice(0, 8)}` };
}

export default async function TaskPage(props: { params: Promise<{ id: string }> }) {
  const { id } = await props.params;
  return (
    <div className="h-full overflow-y-auto">
      <TaskDetail taskId={decodeURIComponent(id)} />
    </div>
  );
}
