import { HealthPanel } from "../components/health-panel";
import { HydrateClient, prefetch, trpc } from "../trpc/server";

export default function HomePage() {
  prefetch(trpc.health.ping.queryOptions());
  return (
    <HydrateClient>
      <HealthPanel />
    </HydrateClient>
  );
}
