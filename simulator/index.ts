export {
  DefenderSimulator,
  DEFAULT_APP,
  type Fault,
  type FaultRule,
  type RequestLogEntry,
  type SimApp,
  type SimEndpoint,
  type SimulatorOptions,
} from './server.js';
export type { MachineBehavior, SimMachine } from './state.js';
export { DEMO_MACHINES, seedDemoMachines } from './demo.js';
