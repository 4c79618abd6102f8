// Cluster formation in the pod lab (test/lab): placeholder until the lab can start N pods of an app.
export async function runFormation() {
  return { notMeasured: 'lab not ready' };
}
