/** A component's health as a coloured badge, as Alloy's UI shows it. */
export function HealthBadge(props: { readonly state: string }) {
  return <span className={`health health-${props.state}`}>{props.state}</span>;
}
