/** Health statuses, best first; `isWorse` follows this order (Missing/Unknown rank as Argo CD does). */
export const healthOrder = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'] as const;
export type HealthStatus = (typeof healthOrder)[number];

export interface HealthResult {
  status: HealthStatus;
  message?: string;
}
