// What a front end does with the generated types: if an operation of the README stops
// matching the schema, or a field's type changes, this stops compiling.
import type {
  ActionPlanQuery,
  CreateActionMutationVariables,
  DashboardQuery,
  DirectoryFromTheEndQuery,
  HeatMapQuery,
  ProgressQuery,
  Rag,
} from './generated/operations';
import type { Organisation } from './generated/schema';

export function overdueTitles(data: DashboardQuery): string[] {
  return data.actions.nodes.map((action) => `${action.title} (due ${action.dueOn})`);
}

export function committeeRows(data: ActionPlanQuery): Array<[string, Rag | null | undefined]> {
  return (data.review?.actions.nodes ?? []).map((action) => [action.title, action.rag]);
}

export function heatMapCells(data: HeatMapQuery): number {
  return data.panelComparison.rows.reduce((n, row) => n + row.cells.length, 0);
}

export function withheld(data: ProgressQuery): number {
  return data.standardsProgress.rows.filter((row) => row.assessedSuppressed).length;
}

export function previousPage(data: DirectoryFromTheEndQuery): string | null | undefined {
  return data.organisations.pageInfo.hasPreviousPage ? data.organisations.pageInfo.startCursor : null;
}

export const newAction: CreateActionMutationVariables = {};

export function label(organisation: Pick<Organisation, 'name' | 'kind'>): string {
  return `${organisation.name} (${organisation.kind})`;
}
