import { useState } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';

import type {
  DecisionStatus,
  FindingFilter,
  ImportProgress,
  PackProgress,
  Profile,
  SubjectQuery,
} from './backend';
import { useBackend } from './context';
import { queryKeys } from './queryKeys';

/**
 * The server reads and writes of the screens, through TanStack Query. A read is cached under its
 * `queryKeys` name; a write invalidates what it changed, so the screens showing it read it again.
 * A write resolves as soon as the backend has answered (the re-reads follow on their own), so the
 * screen that asked can say what happened even if the re-read removes it (a removed source's row).
 */

// ---- Invalidation ---------------------------------------------------------------------------------

/**
 * After an import, a source removal, a profile save or import, a sample load or an audit: the
 * Rust side has re-derived and re-audited, so everything read from the data is out of date.
 */
export function invalidateData(client: QueryClient): Promise<void> {
  return client.invalidateQueries({ queryKey: queryKeys.data });
}

/**
 * After a decision (one or several): the findings (their decisions and the status counts), the
 * timelines that show them, and the audit log that records the decision.
 */
export async function invalidateDecisions(client: QueryClient): Promise<void> {
  await Promise.all([
    client.invalidateQueries({ queryKey: queryKeys.findings.all }),
    client.invalidateQueries({ queryKey: queryKeys.timeline.all }),
    client.invalidateQueries({ queryKey: queryKeys.auditLog }),
  ]);
}

/**
 * After a switch of database (into or out of the sample data): nothing cached belongs to the
 * database now open. Reads start afresh (loading, not the other database's data); the shell's
 * own app info stays (the banner names the database path).
 */
export function resetForDatabaseSwitch(client: QueryClient): Promise<void> {
  return client.resetQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.appInfo[0] });
}

// ---- Reads ----------------------------------------------------------------------------------------

export function useAppInfoQuery() {
  const backend = useBackend();
  const client = useQueryClient();
  const options = { queryKey: queryKeys.appInfo, queryFn: () => backend.appInfo() };
  // The shell's read starts as the shell renders, before the screens' own reads (which start in
  // their effects, children first): a workspace that cannot be opened is reported as such, not
  // as the first screen's read failing. Once per mount; a read in flight or fresh is not repeated.
  useState(() => {
    client.query(options).catch(() => undefined);
  });
  return useQuery(options);
}

export function useImportCatalogQuery() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.importCatalog, queryFn: () => backend.importCatalog() });
}

export function useSigningKeyQuery() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.signingKey, queryFn: () => backend.signingKey() });
}

/** One page of subjects; `enabled: false` holds the request (e.g. an empty search). */
export function useSubjectsPageQuery(query: SubjectQuery, enabled = true) {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.subjects.page(query), queryFn: () => backend.listSubjects(query), enabled });
}

/** The options of one subject page, for `useQueries` (the virtual list asks for pages as they come into view). */
export function subjectsPageOptions(backend: ReturnType<typeof useBackend>, query: SubjectQuery) {
  return { queryKey: queryKeys.subjects.page(query), queryFn: () => backend.listSubjects(query) };
}

export function useTimelineQuery(subjectId: number) {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.timeline.subject(subjectId), queryFn: () => backend.subjectTimeline(subjectId) });
}

export function useEventSourceQuery(eventId: number) {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.eventSource(eventId), queryFn: () => backend.eventSource(eventId) });
}

/** The counts under `filter`; the previous answer stays on screen while a new filter loads. */
export function useFindingsBreakdownQuery(filter: FindingFilter) {
  const backend = useBackend();
  return useQuery({
    queryKey: queryKeys.findings.breakdown(filter),
    queryFn: () => backend.findingsBreakdown(filter),
    placeholderData: (previous) => previous,
  });
}

export function useSourcesQuery() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.sources.list, queryFn: () => backend.listSources() });
}

export function useSourceIssuesQuery(sourceId: number) {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.sources.issues(sourceId), queryFn: () => backend.sourceIssues(sourceId) });
}

export function useProfileQuery() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.profile, queryFn: () => backend.getProfile() });
}

export function useAuditLogQuery() {
  const backend = useBackend();
  return useQuery({ queryKey: queryKeys.auditLog, queryFn: () => backend.auditLog() });
}

// ---- Writes ---------------------------------------------------------------------------------------

/** Removes an imported file; everything derived from the data is read again. */
export function useRemoveSourceMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (sourceId: number) => backend.removeSource(sourceId),
    onSuccess: () => {
      void invalidateData(client);
    },
  });
}

/** Saves the profile (stored events are re-derived, findings re-checked): the profile and the data are read again. */
export function useSaveProfileMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (profile: Profile) => backend.saveProfile(profile),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.profile });
      void invalidateData(client);
    },
  });
}

/** Imports a previewed profile file: as a save. */
export function useImportProfileMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ token, sha256 }: { token: string; sha256: string }) => backend.importProfile(token, sha256),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.profile });
      void invalidateData(client);
    },
  });
}

/** One decision on one finding. */
export function useDecideFindingMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (decision: { findingId: string; status: DecisionStatus; note: string; by: string | null }) =>
      backend.decideFinding(decision.findingId, decision.status, decision.note, decision.by),
    onSuccess: () => {
      void invalidateDecisions(client);
    },
  });
}

/** One decision with one note on several findings (all or none). */
export function useDecideFindingsMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (decision: { findingIds: string[]; status: DecisionStatus; note: string; by: string | null }) =>
      backend.decideFindings(decision.findingIds, decision.status, decision.note, decision.by),
    onSuccess: () => {
      void invalidateDecisions(client);
    },
  });
}

/** Runs the audit again; the findings (and what shows them) are read again. */
export function useRunAuditMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (onProgress: Parameters<typeof backend.runAudit>[0]) => backend.runAudit(onProgress),
    onSuccess: () => {
      void invalidateData(client);
    },
  });
}

/** Opens the demo database with the sample exports imported into it, with an import's progress. */
export function useOpenSampleDataMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (onProgress: (progress: ImportProgress) => void) => backend.openSampleData(onProgress),
    onSuccess: () => {
      void resetForDatabaseSwitch(client);
    },
  });
}

/** Writes a subject's pack or the organisation pack (which re-runs the audit and logs it). */
export function useMakePackMutation() {
  const backend = useBackend();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (
      request:
        | { kind: 'organisation'; token: string; onProgress: (progress: PackProgress) => void }
        | { kind: 'subject'; subjectId: number; token: string; caseReference: string | null },
    ) =>
      request.kind === 'organisation'
        ? backend.makeOrganisationPack(request.token, request.onProgress)
        : backend.makeSubjectPack(request.subjectId, request.token, request.caseReference),
    onSuccess: (_result, request) => {
      void (request.kind === 'organisation'
        ? invalidateData(client)
        : client.invalidateQueries({ queryKey: queryKeys.auditLog }));
    },
  });
}
