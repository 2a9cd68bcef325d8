import type { Count, FindingBreakdown, FindingFilter } from '../../api';
import { monthKeyLabel, statusLabel } from '../../format';
import { dimensionValue, hasFilter, RULES, SEVERITIES, STATUSES, type Dimension } from './filters';

interface Option {
  value: string;
  label: string;
}

/** Keys of a count list as options, keeping the chosen value even if no finding has it now. */
function optionsFrom(counts: readonly Count[] | undefined, chosen: string | null, label = (key: string) => key): Option[] {
  const keys = (counts ?? []).map((count) => count.key);
  if (chosen !== null && !keys.includes(chosen)) keys.push(chosen);
  return keys.map((key) => ({ value: key, label: label(key) }));
}

/** One select per dimension; "All" clears it. */
function FilterSelect({
  dimension,
  label,
  allLabel,
  options,
  filter,
  onChange,
}: {
  dimension: Dimension;
  label: string;
  allLabel: string;
  options: readonly Option[];
  filter: FindingFilter;
  onChange: (dimension: Dimension, value: string | null) => void;
}) {
  const value = dimensionValue(filter, dimension);
  return (
    <label>
      {label}
      <select
        value={value ?? ''}
        className={value === null ? undefined : 'findings-filter-active'}
        data-testid={`filter-${dimension}`}
        onChange={(event) => {
          onChange(dimension, event.target.value === '' ? null : event.target.value);
        }}
      >
        <option value="">{allLabel}</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The filters over the findings. Purposes, systems and months are those the stored findings
 * have (from the unfiltered breakdown), so a choice never leads to an empty list by itself.
 */
export function FilterBar({
  filter,
  facets,
  onChange,
  onClear,
}: {
  filter: FindingFilter;
  facets: FindingBreakdown | null;
  onChange: (dimension: Dimension, value: string | null) => void;
  onClear: () => void;
}) {
  const common = { filter, onChange };
  return (
    <div className="findings-filters" role="group" aria-label="Filters">
      <FilterSelect
        {...common}
        dimension="rule"
        label="Rule"
        allLabel="All rules"
        options={RULES.map(({ rule, name }) => ({ value: rule, label: `${name} (${rule})` }))}
      />
      <FilterSelect
        {...common}
        dimension="severity"
        label="Severity"
        allLabel="All severities"
        options={SEVERITIES.map((severity) => ({ value: severity, label: severity }))}
      />
      <FilterSelect
        {...common}
        dimension="purpose"
        label="Purpose"
        allLabel="All purposes"
        options={optionsFrom(facets?.by_purpose, dimensionValue(filter, 'purpose'))}
      />
      <FilterSelect
        {...common}
        dimension="system"
        label="System"
        allLabel="All systems"
        options={optionsFrom(facets?.by_system, dimensionValue(filter, 'system'))}
      />
      <FilterSelect
        {...common}
        dimension="month"
        label="Month"
        allLabel="All months"
        options={optionsFrom(facets?.by_month, dimensionValue(filter, 'month'), monthKeyLabel).sort((a, b) =>
          a.value.localeCompare(b.value),
        )}
      />
      <FilterSelect
        {...common}
        dimension="status"
        label="Status"
        allLabel="Any status"
        options={STATUSES.map((status) => ({ value: status, label: statusLabel(status) }))}
      />
      <button type="button" onClick={onClear} disabled={!hasFilter(filter)} data-testid="clear-filters">
        Clear filters
      </button>
    </div>
  );
}
