import type { FindingFilter, SubjectQuery } from './backend';

/**
 * The name of every server read in the TanStack Query cache. Everything derived from the
 * imported data (subjects, timelines, findings, sources, counts, the audit log) lives under
 * `data`, so one invalidation after an import, a removal, a profile save or a sample load
 * refreshes all of it; findings and the audit log have their own prefixes for a decision.
 */
export const queryKeys = {
  /** Engine version and database path (the shell). */
  appInfo: ['appInfo'] as const,
  /** Which database is open (user's or sample). */
  databaseInfo: ['databaseInfo'] as const,
  /** The systems, fields, event kinds and methods the importer knows. */
  importCatalog: ['importCatalog'] as const,
  /** The organisation certificate chosen for this session. */
  signingKey: ['signingKey'] as const,
  /** The saved profile. */
  profile: ['profile'] as const,

  /** Everything derived from the stored data. */
  data: ['data'] as const,
  subjects: {
    all: ['data', 'subjects'] as const,
    /** One page of the subject list (`query` holds search, order, limit and offset). */
    page: (query: SubjectQuery) => ['data', 'subjects', query] as const,
  },
  timeline: {
    all: ['data', 'timeline'] as const,
    subject: (subjectId: number) => ['data', 'timeline', subjectId] as const,
  },
  /** The source row behind an event. */
  eventSource: (eventId: number) => ['data', 'eventSource', eventId] as const,
  findings: {
    all: ['data', 'findings'] as const,
    /** The findings under a filter, first `firstLimit` rows then pages appended by "Load more". */
    list: (filter: FindingFilter, firstLimit: number) => ['data', 'findings', 'list', filter, firstLimit] as const,
    /** The counts (facets, dashboard) under a filter. */
    breakdown: (filter: FindingFilter) => ['data', 'findings', 'breakdown', filter] as const,
  },
  sources: {
    all: ['data', 'sources'] as const,
    list: ['data', 'sources', 'list'] as const,
    issues: (sourceId: number) => ['data', 'sources', 'issues', sourceId] as const,
  },
  auditLog: ['data', 'auditLog'] as const,
} as const;
