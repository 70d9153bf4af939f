/**
 * How big the suite runs: `TT_FAULTS_SIZE=full` (`pnpm test:faults`) is the size the issue asks for;
 * anything else (the default, run by `npm test`) is the CI size, which keeps the whole suite within a few minutes.
 */
export const FULL = process.env.TT_FAULTS_SIZE === "full";
export const SIZE_NAME = FULL ? "full" : "ci";

export const SIZE = FULL
  ? {
      runnerKillTasks: 200,
      runnerKills: 20,
      runners: 3,
      redisKillTasks: 120,
      redisKills: 3,
      races: 100,
      hostileInputs: 1000,
      floodMb: 100,
    }
  : {
      runnerKillTasks: 60,
      runnerKills: 5,
      runners: 3,
      redisKillTasks: 40,
      redisKills: 1,
      races: 100,
      hostileInputs: 1000,
      floodMb: 20,
    };
