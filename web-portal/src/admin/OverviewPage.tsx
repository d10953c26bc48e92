import { useEffect, useState } from 'react';
import { admin } from '../api/client';
import { StackedBars, TimeLines } from '../components/Charts';
import { Loaded } from '../components/Loaded';
import { useLoad } from '../components/useLoad';
import { mib } from './format';
import {
  addSample,
  HOST_LEGEND,
  hostRows,
  POOL_LEGEND,
  poolRows,
  sampleOf,
  type Sample,
} from './overview';

// Kept across visits of the page within this tab, so the time chart keeps its history.
let history: Sample[] = [];

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
                <div className="stat card">
                  <span className="stat-value">{sessions.length}</span>
                  <span className="stat-label">live sessions</span>
                </div>
                <div className="stat card">
                  <span className="stat-value">{pools.length}</span>
                  <span className="stat-label">pools</span>
                </div>
                <div className="stat card">
                  <span className="stat-value">
                    {agents.filter((a) => a.state === 'active').length}/{agents.length}
                  </span>
                  <span className="stat-label">agents active</span>
                </div>
                <div className="stat card">
                  <span className="stat-value">{mib(free)}</span>
                  <span className="stat-label">free of {mib(total)}</span>
                </div>
              </div>
              <div className="charts">
                <div className="card">
                  <StackedBars
                    title="Desktops per pool"
                    rows={poolRows(pools)}
                    unit=""
                    legend={POOL_LEGEND}
                  />
                </div>
                <div className="card">
                  <StackedBars
                    title="Memory per host"
                    rows={hostRows(agents)}
                    unit="GiB"
                    legend={HOST_LEGEND}
                  />
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
