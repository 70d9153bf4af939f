import type { Metadata } from "next";

import { AgentDetail } from "../../../components/agent-detail";

export async function generateMetadata(props: { params: Promise<{ name: string }> }): Promise<Metadata> {
  return { title: `Agent ${decodeURIComponent((await props.params).name)}` };
}

export default async function AgentPage(props: { params: Promise<{ name: string }> }) {
  const { name } = await props.params;
  return (
    <div className="h-full overflow-y-auto">
      <AgentDetail name={decodeURIComponent(name)} />
    </div>
  );
}
