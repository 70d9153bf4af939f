/** Tasks in git worktrees: see README.md beside this file. */
export { WorkspaceConfig, type WorkspaceConfigInput, DEFAULT_DIFF_MAX_BYTES } from "./workspace-config";
export { gitEnv } from "./git";
export { taskBranch, checkTaskBranch, worktreeName } from "./names";
export {
  resolveWorkspace,
  findRepository,
  detectBaseBranch,
  baseHead,
  listWorktrees,
  type Workspace,
  type WorktreeEntry,
} from "./repo";
export { runSetup, setupEnv, type OutputLine } from "./setup";
export {
  ensureWorktree,
  removeWorktree,
  pruneWorktrees,
  worktreePath,
  type EnsureWorktreeInput,
  type TaskWorktree,
  type RemoveWorktreeInput,
  type LeftoverWorktree,
} from "./worktree";
export { captureChanges, MAX_FILES, type CaptureInput, type CapturedChanges } from "./capture";
export { checkMerge, mergeBranch, type MergeCheck, type MergeInput, type MergeResult } from "./merge";
export { pushBranch, pushBase, fetchBranch, deleteRemoteBranch, type FetchResult } from "./remote";
