/**
 * The live debugging hub (Alloy's `livedebugging` service, for profiles): components publish the profiles
 * passing through them, the UI's streams watch one component (or, for the graph, count every component).
 *
 * Costs nothing when no one watches: a component's tap has a `watched` field that is false unless live
 * debugging is enabled and someone watches it, and the hook checks it before building an event. When
 * someone watches, each component keeps its last events in a ring buffer bounded in count and bytes (so a
 * profile can be drawn after it passed), and viewers are called synchronously: a viewer never blocks the
 * relay, it drops what it cannot send (see `src/server/live-api.ts`). The ring is emptied when the last
 * viewer of a component leaves.
 *
 * Under `run --workers=N` the components run in the workers and the viewers connect to the primary: a
 * worker's hub forwards (`forwardTo`) the events of the components the primary's viewers watch
 * (`setRemoteWatch`), and the primary publishes them into its own hub, which tells the workers what is watched
 * (`onWatchChange`).
 */
import type { ProfileEvent } from "./event.ts";

/** A component's handle on the hub. */
export interface ComponentTap {
  /** Whether live debugging is on and someone watches this component: check it before building an event. */
  readonly watched: boolean;
  /** Publishes one event (ignored when not watched). */
  publish(event: ProfileEvent): void;
}

/** The tap of a component run without a hub (tests, tools): never watched. */
export const NO_TAP: ComponentTap = Object.freeze({ watched: false, publish: () => {} });

/** An event as kept in a component's ring buffer. */
export interface StoredEvent {
  /** Increases by one per event across the hub; identifies the event for `profileOf`. */
  readonly seq: number;
  readonly componentId: string;
  readonly event: ProfileEvent;
}

/** Someone watching one component's events. */
export interface Viewer {
  event(stored: StoredEvent): void;
  /** The stream must end: live debugging was turned off. */
  end(reason: string): void;
}

/** Someone counting every component's profiles (the graph). */
export interface CountViewer {
  count(componentId: string, profiles: number): void;
  /** The stream must end: live debugging was turned off. */
  end(reason: string): void;
}

/** Limits of one component's ring buffer. */
export interface RingLimits {
  readonly maxEvents: number;
  /** Profile bytes kept at most (the events themselves are small). */
  readonly maxBytes: number;
}

/** 200 events or 64 MiB of profiles per watched component, whichever is reached first. */
export const DEFAULT_RING_LIMITS: RingLimits = Object.freeze({ maxEvents: 200, maxBytes: 64 * 1024 * 1024 });

/** Why a stream cannot start: the messages of Alloy's live debugging service. */
export const DISABLED_MESSAGE =
  "the live debugging service is disabled. Check the documentation to find out how to enable it";

class Channel implements ComponentTap {
  watched = false;
  readonly viewers = new Set<Viewer>();
  ring: StoredEvent[] = [];
  ringBytes = 0;
  readonly #hub: LiveDebugging;
  readonly id: string;

  constructor(hub: LiveDebugging, id: string) {
    this.#hub = hub;
    this.id = id;
  }

  publish(event: ProfileEvent): void {
    this.#hub.publish(this.id, event);
  }
}

/** The hub; one per agent. */
export class LiveDebugging {
  readonly #limits: RingLimits;
  readonly #channels = new Map<string, Channel>();
  readonly #counters = new Set<CountViewer>();
  #enabled = false;
  #seq = 0;
  /** In a worker: where watched events go, and what the primary's viewers watch. */
  #forward: ((componentId: string, event: ProfileEvent) => void) | undefined;
  #remote: { watched: ReadonlySet<string>; counting: boolean } = { watched: new Set(), counting: false };
  #watchListener: (() => void) | undefined;

  constructor(limits: RingLimits = DEFAULT_RING_LIMITS) {
    this.#limits = limits;
  }

  /**
   * Makes this hub forward the events of watched components instead of keeping them (a worker of
   * `run --workers`, whose primary has the viewers); what is watched then comes from `setRemoteWatch`.
   */
  forwardTo(forward: (componentId: string, event: ProfileEvent) => void): void {
    this.#forward = forward;
    this.#refresh();
  }

  /** In a forwarding hub: the components the primary's viewers watch, and whether the graph counts all. */
  setRemoteWatch(watched: ReadonlySet<string>, counting: boolean): void {
    this.#remote = { watched, counting };
    this.#refresh();
  }

  /** Called whenever what is watched may have changed (the primary then tells its workers). */
  onWatchChange(listener: () => void): void {
    this.#watchListener = listener;
  }

  /** The components someone watches now. */
  watchedComponents(): string[] {
    return [...this.#channels.values()].filter((c) => c.viewers.size > 0).map((c) => c.id);
  }

  /** Whether someone counts every component's profiles (the graph). */
  get counting(): boolean {
    return this.#counters.size > 0;
  }

  /** Whether the config's `livedebugging` block enables it. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Applies the `livedebugging` block; turning it off (also done at shutdown) ends every stream. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.#enabled) return;
    this.#enabled = enabled;
    if (!enabled) {
      for (const channel of this.#channels.values()) {
        for (const viewer of channel.viewers) viewer.end(DISABLED_MESSAGE);
        channel.viewers.clear();
        this.#empty(channel);
      }
      for (const counter of this.#counters) counter.end(DISABLED_MESSAGE);
      this.#counters.clear();
    }
    this.#refresh();
  }

  /** The tap of a component; a component that asks for one supports live debugging. */
  tap(componentId: string): ComponentTap {
    let channel = this.#channels.get(componentId);
    if (channel === undefined) {
      channel = new Channel(this, componentId);
      channel.watched = this.#isWatched(channel);
      this.#channels.set(componentId, channel);
    }
    return channel;
  }

  /** Whether the component publishes events (has asked for a tap). */
  supports(componentId: string): boolean {
    return this.#channels.has(componentId);
  }

  /** Publishes one event of `componentId`; does nothing unless someone watches it. */
  publish(componentId: string, event: ProfileEvent): void {
    const channel = this.#channels.get(componentId);
    if (channel === undefined || !channel.watched) return;
    if (this.#forward !== undefined) {
      this.#forward(componentId, event);
      return;
    }
    if (this.#counters.size > 0) {
      for (const counter of this.#counters) counter.count(componentId, event.profiles.length);
    }
    if (channel.viewers.size === 0) return;
    const stored: StoredEvent = { seq: ++this.#seq, componentId, event };
    channel.ring.push(stored);
    channel.ringBytes += event.size;
    while (
      channel.ring.length > 1 &&
      (channel.ring.length > this.#limits.maxEvents || channel.ringBytes > this.#limits.maxBytes)
    ) {
      channel.ringBytes -= channel.ring.shift()!.event.size;
    }
    for (const viewer of channel.viewers) viewer.event(stored);
  }

  /**
   * Starts watching a component: the events still in its ring (oldest first), then each new one. Returns
   * why it cannot (disabled, or a component that does not publish events).
   */
  watch(
    componentId: string,
    viewer: Viewer,
  ): { readonly history: readonly StoredEvent[]; stop(): void } | { readonly error: string } {
    if (!this.#enabled) return { error: DISABLED_MESSAGE };
    const channel = this.#channels.get(componentId);
    if (channel === undefined) {
      return { error: `the component "${componentId}" does not support live debugging` };
    }
    channel.viewers.add(viewer);
    channel.watched = true;
    this.#watchListener?.();
    return {
      history: [...channel.ring],
      stop: () => {
        if (!channel.viewers.delete(viewer) || channel.viewers.size > 0) return;
        this.#empty(channel);
        channel.watched = this.#isWatched(channel);
        this.#watchListener?.();
      },
    };
  }

  /** Starts counting the profiles of every component (for the graph's edge rates). */
  watchCounts(viewer: CountViewer): { stop(): void } | { readonly error: string } {
    if (!this.#enabled) return { error: DISABLED_MESSAGE };
    this.#counters.add(viewer);
    this.#refresh();
    return {
      stop: () => {
        if (this.#counters.delete(viewer)) this.#refresh();
      },
    };
  }

  /** An event still in a component's ring buffer. */
  find(componentId: string, seq: number): StoredEvent | undefined {
    return this.#channels.get(componentId)?.ring.find((s) => s.seq === seq);
  }

  #empty(channel: Channel): void {
    channel.ring = [];
    channel.ringBytes = 0;
  }

  #refresh(): void {
    for (const channel of this.#channels.values()) {
      channel.watched = this.#isWatched(channel);
    }
    this.#watchListener?.();
  }

  #isWatched(channel: Channel): boolean {
    if (!this.#enabled) return false;
    if (this.#forward !== undefined) {
      return this.#remote.counting || this.#remote.watched.has(channel.id);
    }
    return this.#counters.size > 0 || channel.viewers.size > 0;
  }
}

/** A component's tap: its own channel on the agent's hub, or `NO_TAP` when run without one. */
export function liveTap(options: {
  readonly id: string;
  readonly liveDebugging?: LiveDebugging | undefined;
}): ComponentTap {
  return options.liveDebugging?.tap(options.id) ?? NO_TAP;
}
