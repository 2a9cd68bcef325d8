import { useState } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';

import type { FindingFilter, SubjectQuery } from './backend';
import { useBackend } from './context';
import { queryKeys } from './queryKeys';

/**
 * The server reads of the screens, through TanStack Query, and the invalidations the writes use.
 * A read is cached under its `queryKeys` name. A write (import, removal, profile save or import,
 * decision, audit, pack, sample data) calls the backend as before, says what happened, then
 * invalidates what it changed so the screens showing it read it again. The writes stay plain
 * calls, not `useMutation`: a mutation starts its call and reports "busy" a tick later, and the
 * screens disable their buttons and call the backend in the same event, as they always did.
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
    // As the list: a filter chosen again is shown from the cache and read again.
    staleTime: 0,
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
