// The load of the history bench, in a process of its own so that receiving 200 MB a round does not
// delay the measuring client: `node dist/bench/history-load.js <url> <ms> <id>…` keeps all the GETs
// in flight together, round after round, for <ms>, then prints each GET's time (ms) as JSON.
const [url, ms, ...ids] = process.argv.slice(2);
const times: number[] = [];
const until = performance.now() + Number(ms);
while (performance.now() < until) {
  await Promise.all(ids.map(async (id) => {
    const t = performance.now();
    await fetch(`${url}/api/runs/${id}`).then((r) => r.arrayBuffer());
    times.push(performance.now() - t);
  }));
}
console.log(JSON.stringify(times));
