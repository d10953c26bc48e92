import { useEffect, useState, type ReactNode } from 'react';
import { admin } from '../api/client';
import { StackedBars, TimeLines } from '../components/Charts';
import { Loaded } from '../components/Loaded';
import { useLoad } from '../components/useLoad';
import { mib } from './format';
import { addSample, hostChart, poolChart, poolRows, sampleOf, type Sample } from './overview';

// Kept across visits of the page within this tab, so the time chart keeps its history.
let history: Sample[] = [];

function Stat({ value, label }: { value: ReactNode; label: string }) {
  return (
    <div className="stat card">
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

export function OverviewPage() {
  const state = useLoad(
    async () => {
      const [pools, sessions, agents] = await Promise.all([
        admin.pools(),
        admin.sessions(),
        admin.agents(),
      ]);
      return { pools, sessions, agents };
    },
    [],
    10_000,
  );
  const [samples, setSamples] = useState(history);
  useEffect(() => {
    if (!state.data) return;
    history = addSample(history, sampleOf(poolRows(state.data.pools), Date.now()));
    setSamples(history);
  }, [state.data]);

  return (
    <section>
      <h1>Overview</h1>
      <Loaded state={state} label="Loading the service's state…">
        {({ pools, sessions, agents }) => {
          const total = agents.reduce((a, g) => a + g.totalMib, 0);
          const free = agents.reduce((a, g) => a + g.availableMib, 0);
          return (
            <>
              <div className="stats">
                <Stat value={sessions.length} label="live sessions" />
                <Stat value={pools.length} label="pools" />
                <Stat
                  value={`${agents.filter((a) => a.state === 'active').length}/${agents.length}`}
                  label="agents active"
                />
                <Stat value={mib(free)} label={`free of ${mib(total)}`} />
              </div>
              <div className="charts">
                <div className="card">
                  <StackedBars {...poolChart(pools)} />
                </div>
                <div className="card">
                  <StackedBars {...hostChart(agents)} />
                </div>
                <div className="card wide">
                  <TimeLines
                    title="Desktops over time"
                    series={[
                      {
                        label: 'in use',
                        tone: 'blue',
                        samples: samples.map((s) => [s.at, s.inUse]),
                      },
                      {
                        label: 'spare',
                        tone: 'green',
                        samples: samples.map((s) => [s.at, s.spare]),
                      },
                    ]}
                  />
                </div>
              </div>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
