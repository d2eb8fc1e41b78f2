use super::Callback;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

struct Noisy(Rc<RefCell<Vec<&'static str>>>, &'static str);
impl Drop for Noisy {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

#[test]
fn callbacks_of_every_size_call_or_drop_exactly_once() {
    let log: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    let mut out = Vec::new();
    let small = Noisy(log.clone(), "small");
    let cb = Callback::new(move |v: &mut Vec<u64>| {
        let _keep = &small;
        v.push(1)
    });
    let big = ([7u64; 10], Noisy(log.clone(), "big"));
    let cb_big = Callback::new(move |v: &mut Vec<u64>| {
        let (nums, _noisy) = big; // moves the whole tuple in
        v.push(nums.iter().sum())
    });
    #[repr(align(32))]
    struct Wide(u64);
    let wide = Wide(5);
    let cb_wide = Callback::new(move |v: &mut Vec<u64>| {
        assert_eq!(&wide as *const Wide as usize % 32, 0);
        v.push(wide.0)
    });
    let unused = Noisy(log.clone(), "unused");
    let cb_unused = Callback::new(move |_: &mut Vec<u64>| drop(unused));
    cb.call(&mut out);
    cb_big.call(&mut out);
    cb_wide.call(&mut out);
    drop(cb_unused);
    assert_eq!(out, [1, 70, 5]);
    assert_eq!(*log.borrow(), ["small", "big", "unused"]);
}
