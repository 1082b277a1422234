// Installed by the browser benchmark into every page before the page's own scripts run (Playwright's init script).
// It only watches: it never touches the page's elements or Blazor. Every time is performance.now(), which counts from
// the navigation's start, so a page's load milestones are "navigation -> milestone" as they are.
(() => {
    if (window.__opeaBench) {
        return;
    }

    const bench = window.__opeaBench = { longTasks: [], load: {}, sends: {} };

    // Long tasks (main-thread tasks over 50 ms), buffered so that those of the page's start are kept too.
    try {
        new PerformanceObserver(list => {
            for (const entry of list.getEntries()) {
                bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
            }
        }).observe({ type: 'longtask', buffered: true });
    } catch {
        bench.longTasksUnsupported = true;
    }

    // First load: when the message box is in the page (prerendered), when Fluent's text area is defined, when the live
    // box is wired (ChatInput's module took over from early-input.js: from then on Enter sends), and when the page says
    // it is ready (the list is loaded too). Checked every frame, so each time is the frame that first shows it.
    const mark = name => {
        if (bench.load[name] === undefined) {
            bench.load[name] = performance.now();
        }
    };
    const watchLoad = () => {
        if (document.getElementById('chat-input')) {
            mark('input_shown');
        }

        if (window.customElements?.get('fluent-textarea')) {
            mark('textarea_defined');
        }

        if (window.opeaChatEarlyInput?.ready) {
            mark('input_wired');
        }

        if (document.querySelector("#chat-page[data-ready='true']")) {
            mark('page_ready');
        }

        if (bench.load.input_wired === undefined || bench.load.page_ready === undefined) {
            requestAnimationFrame(watchLoad);
        }
    };
    requestAnimationFrame(watchLoad);

    // Long animation frames (over 50 ms) with the scripts that ran in them: where a long task's time went.
    bench.longFrames = [];
    try {
        new PerformanceObserver(list => {
            for (const entry of list.getEntries()) {
                bench.longFrames.push({
                    start: entry.startTime,
                    duration: entry.duration,
                    blocking: entry.blockingDuration ?? 0,
                    render: entry.renderStart ? entry.startTime + entry.duration - entry.renderStart : 0,
                    style_layout: entry.styleAndLayoutStart ? entry.startTime + entry.duration - entry.styleAndLayoutStart : 0,
                    scripts: (entry.scripts ?? []).map(script => ({
                        invoker: script.invoker ?? '',
                        source: `${(script.sourceURL ?? '').split('/').pop()}:${script.sourceFunctionName ?? ''}`,
                        duration: script.duration,
                        forced_style_layout: script.forcedStyleAndLayoutDuration ?? 0,
                    })),
                });
            }
        }).observe({ type: 'long-animation-frame', buffered: true });
    } catch {
        bench.longFramesUnsupported = true;
    }

    bench.longFramesBetween = (from, to) => bench.longFrames.filter(frame => frame.start >= from && frame.start <= to);

    const assistants = () => document.querySelectorAll('.chat-message.assistant');
    const replyText = element => element?.querySelector('.message-text')?.textContent ?? '';

    // One measured reply. `id` names it; the reply is the last assistant message that was not in the page when armed
    // (a sent message's, or a followed one's). The Enter that sent it is the first Enter keydown after arming.
    //  - enter: the keydown's event.timeStamp (when the browser created the event);
    //  - first_text: the DOM mutation that first gave the reply text (MutationObserver);
    //  - first_paint: the first animation frame that has that text (its rAF callback: the frame whose paint shows it),
    //    first_paint_after: a task posted from that callback (it runs once the frame's style, layout and paint are done),
    //    first_paint_next_frame: the next frame's rAF (the frame after the one that showed it; an upper bound);
    //  - frames: every frame at which the reply's painted text had grown: [time, characters];
    //  - stored: the reply carries the gateway's id and is no longer streaming (the page has read the stored branch);
    //  - send_enabled: Send is enabled again and Stop gone.
    bench.arm = id => {
        const before = new Set(assistants());
        const send = bench.sends[id] = {
            enter: null, first_text: null, first_paint: null, first_paint_after: null, first_paint_next_frame: null,
            frames: [], stored: null, send_enabled: null, characters: 0, armed: performance.now(), done: false,
        };
        const current = () => {
            const all = assistants();
            const last = all.length > 0 ? all[all.length - 1] : null;
            return last && !before.has(last) ? last : null;
        };
        const onKey = event => {
            if (send.enter === null && event.key === 'Enter' && !event.shiftKey) {
                send.enter = event.timeStamp;
            }
        };
        document.addEventListener('keydown', onKey, true);

        const check = () => {
            const reply = current();
            if (send.first_text === null && replyText(reply).length > 0) {
                send.first_text = performance.now();
            }

            if (send.stored === null && reply?.dataset.id && reply.dataset.state !== 'streaming') {
                send.stored = performance.now();
            }

            const button = document.getElementById('send-button');
            if (send.stored !== null && send.send_enabled === null && button && !button.hasAttribute('disabled') && !document.getElementById('stop-button')) {
                send.send_enabled = performance.now();
            }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-id', 'data-state', 'disabled'] });

        const frame = () => {
            check();
            const now = performance.now();
            const length = replyText(current()).length;
            if (length > send.characters) {
                send.characters = length;
                send.frames.push([now, length]);
                if (send.first_paint === null) {
                    send.first_paint = now;
                    const channel = new MessageChannel();
                    channel.port1.onmessage = () => { send.first_paint_after = performance.now(); };
                    channel.port2.postMessage(0);
                    requestAnimationFrame(() => { send.first_paint_next_frame = performance.now(); });
                }
            }

            if (send.stored !== null && send.send_enabled !== null && send.first_paint_next_frame !== null) {
                observer.disconnect();
                document.removeEventListener('keydown', onKey, true);
                send.done = true;
                return;
            }

            requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
        return true;
    };

    // The long tasks that began within [from, to].
    bench.longTasksBetween = (from, to) => bench.longTasks.filter(task => task.start >= from && task.start <= to);

    // Bytes the page loaded: the document and every resource (resource timing; WebSocket frames are not in it).
    bench.transfer = () => {
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
        return {
            resources: entries.length,
            transfer_size: entries.reduce((sum, entry) => sum + (entry.transferSize ?? 0), 0),
            encoded_body_size: entries.reduce((sum, entry) => sum + (entry.encodedBodySize ?? 0), 0),
            decoded_body_size: entries.reduce((sum, entry) => sum + (entry.decodedBodySize ?? 0), 0),
            first_contentful_paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
            dom_content_loaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? null,
            load_event: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? null,
        };
    };
})();
