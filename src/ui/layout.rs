//! Screen layout for every size from 60x12 up: which areas exist and how big they are.

use ratatui::layout::Rect;

/// The areas of one frame. Optional panes are `None` when closed or when there is no room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub top: Rect,
    pub input: Rect,
    pub queue: Rect,
    pub detail: Option<Rect>,
    pub tenants: Option<Rect>,
    pub bottom: Rect,
}

/// Width from which the detail pane sits beside the queue instead of below it.
const SIDE_BY_SIDE: u16 = 150;
const TENANT_PANE: u16 = 30;

pub fn split(area: Rect, detail_open: bool, tenants_open: bool) -> Areas {
    let top = Rect { height: 1, ..area };
    let input = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    let bottom = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    let mut body = Rect {
        y: area.y + 2,
        height: area.height.saturating_sub(3),
        ..area
    };
    let tenants = tenants_open.then(|| {
        let w = TENANT_PANE.min(body.width / 2);
        let pane = Rect { width: w, ..body };
        body.x += w;
        body.width -= w;
        pane
    });
    let (queue, detail) = match (detail_open, body.width >= SIDE_BY_SIDE) {
        (false, _) => (body, None),
        (true, true) => {
            let dw = body.width * 2 / 5;
            let q = Rect {
                width: body.width - dw,
                ..body
            };
            let d = Rect {
                x: q.right(),
                width: dw,
                ..body
            };
            (q, Some(d))
        }
        (true, false) => {
            let qh = (body.height / 2).max(4);
            let q = Rect { height: qh, ..body };
            let d = Rect {
                y: q.bottom(),
                height: body.height - qh,
                ..body
            };
            (q, Some(d))
        }
    };
    Areas {
        top,
        input,
        queue,
        detail,
        tenants,
        bottom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_tile_the_screen_at_80x24() {
        let a = split(Rect::new(0, 0, 80, 24), true, false);
        assert_eq!(a.queue.width, 80);
        let d = a.detail.unwrap();
        assert_eq!(a.queue.height + d.height, 21);
        assert_eq!(a.bottom.y, 23);
    }

    #[test]
    fn wide_screens_put_detail_beside() {
        let a = split(Rect::new(0, 0, 200, 50), true, true);
        let d = a.detail.unwrap();
        let tp = a.tenants.unwrap();
        assert_eq!(tp.width + a.queue.width + d.width, 200);
        assert_eq!(d.height, a.queue.height);
    }
}
